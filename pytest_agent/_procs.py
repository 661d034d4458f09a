"""Subprocesses with a timeout that kills the whole process group.

No shell strings: every command is an argument list (DESIGN.md, invariants).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import final

__all__ = ["ProcessResult", "run_process"]


@final
@dataclass(frozen=True)
class ProcessResult:
    returncode: int
    output: str
    duration: float
    timed_out: bool


def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    timeout: float,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
) -> ProcessResult:
    """Run ``argv`` in its own session; on timeout, SIGKILL its whole process group.

    stdout and stderr are merged, as a terminal would show them.
    """
    start = time.monotonic()
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        text=True,
        errors="replace",
    )
    timed_out = False
    try:
        out, _ = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        out, _ = proc.communicate()
    finally:
        if proc.poll() is None:  # pragma: no cover - interrupted by KeyboardInterrupt
            _kill_group(proc)
    return ProcessResult(
        returncode=proc.returncode if not timed_out else -signal.SIGKILL,
        output=out or "",
        duration=time.monotonic() - start,
        timed_out=timed_out,
    )


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
