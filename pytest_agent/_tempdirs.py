"""Temp directories that name their process, so a later run can sweep a killed run's.

Every temp directory of the harness (inner-run report dirs, lint copies, the
offline engine's workspace copies, localization output) is made with
:func:`prefix`: ``pytest-agent-<kind>-p<pid>-<random>``. They are removed on
every ordinary exit path (``TemporaryDirectory`` / ``finally``); a ``kill -9``
cannot run those, so the next run removes the directories whose process is gone
(:func:`sweep`, called when a run starts). A directory of a live process -- or
of a pid reused since, which only delays its removal -- is left alone.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

__all__ = ["prefix", "sweep"]

_NAME = re.compile(r"^pytest-agent-[a-z]+-p(?P<pid>\d+)-")


def prefix(kind: str) -> str:
    """The ``prefix=`` for ``tempfile.mkdtemp`` / ``TemporaryDirectory`` of ``kind``."""
    return f"pytest-agent-{kind}-p{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: not ours to judge
    return True


def sweep(root: Path | None = None) -> list[Path]:
    """Remove the harness's temp directories whose process is gone; return them."""
    base = root if root is not None else Path(tempfile.gettempdir())
    removed = []
    try:
        entries = list(base.iterdir())
    except OSError:
        return []
    for entry in entries:
        match = _NAME.match(entry.name)
        if match is None or _alive(int(match["pid"])):
            continue
        try:
            info = entry.lstat()
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid():
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed
