"""A compiled copy of the measured pytest-agent, shared by the benchmarks that time whole runs.

The shared machine runs with ``PYTHONDONTWRITEBYTECODE=1``, so a checkout has no bytecode and
every process would compile our modules from source; an installed wheel never pays that.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["compiled_copy", "installed_copy"]


def installed_copy(work: Path) -> Path:
    """A copy of the measured pytest_agent package, compiled to bytecode, under ``work``."""
    import pytest_agent

    return compiled_copy(Path(pytest_agent.__file__).parent, work / "pkg")


def compiled_copy(source: Path, into: Path) -> Path:
    """A compiled copy of the ``pytest_agent`` package at ``source`` in ``into`` (which is
    returned: the directory to put on ``PYTHONPATH``); ``--compare`` measures another
    commit's package this way."""
    target = into / "pytest_agent"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(target)], check=True,
                   timeout=300)
    return target.parent
