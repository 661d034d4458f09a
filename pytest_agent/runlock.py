"""One agent run at a time per repository: the run lock.

Two runs on one repository at once (two CI jobs on one checkout, a developer and
a cron job) would each read the plan, run the same tasks and write contradicting
results back: run B fails the task that run A just finished and overwrites A's
``done``. So the controlling process of a run holds an exclusive lock,
``<git-common-dir>/pytest-agent/run.lock``, from the start of the session to its
end; a second run stops at once with who holds it::

    another pytest-agent run (pid 4242 on ci-7, started 2026-11-30T08:20:01Z) holds
    the plans of this repository; wait for it to end (or stop it), then run again

The lock is an OS file lock (``flock``): the kernel releases it when its process
dies, even by ``kill -9``, so a killed run never blocks the next one. The holder's
pid, host and start time sit beside it in ``run.json`` for the message. xdist
workers take no lock: they work for the controller that holds it.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

from pytest_agent._atomic import write_atomic
from pytest_agent.writeback import format_timestamp

__all__ = ["RunLock", "RunLockError"]


class RunLockError(Exception):
    """Another run holds the repository's run lock (the message says whose)."""


class RunLock:
    """The run lock of the repository whose git common directory is ``git_dir``."""

    def __init__(self, git_dir: Path) -> None:
        self.path = git_dir / "pytest-agent" / "run.lock"
        self.info_path = self.path.with_name("run.json")
        self._lock: Any = None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`RunLockError` naming the run that holds it."""
        from filelock import FileLock
        from filelock import Timeout

        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.path), timeout=0, thread_local=False)
        try:
            lock.acquire()
        except Timeout:
            raise RunLockError(self._held_message()) from None
        self._lock = lock
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started": format_timestamp()}
        write_atomic(self.info_path, json.dumps(info))

    def release(self) -> None:
        if self._lock is None:
            return
        self.info_path.unlink(missing_ok=True)
        self._lock.release()
        self._lock = None

    def _held_message(self) -> str:
        try:
            info = json.loads(self.info_path.read_text(encoding="utf-8"))
            who = f"pid {int(info['pid'])} on {info['host']}, started {info['started']}"
        except (OSError, ValueError, KeyError, TypeError):
            who = "starting up"  # it holds the lock but has not written its details yet
        return (
            f"another pytest-agent run ({who}) holds the plans of this repository "
            f"(lock {self.path}); wait for it to end (or stop it), then run again"
        )
