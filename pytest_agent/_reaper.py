"""Runs one command and leaves no process of it behind (a tiny subreaper wrapper).

Started as a script (``python -I .../_reaper.py MEMORY_BYTES PARENT_PID -- argv...``),
so it imports nothing but the standard library. It

* makes itself a *child subreaper* (Linux ``PR_SET_CHILD_SUBREAPER``): a daemon the
  command double-forks (``setsid``, new session, new group) is re-parented to this
  wrapper instead of init, so it can still be found and killed;
* asks for ``SIGTERM`` when its parent dies (``PR_SET_PDEATHSIG``), so a ``kill -9``
  of the harness does not leave the command running past its timeout;
* limits the command's memory (``RLIMIT_DATA``; ``0`` for no limit);
* when the command ends -- or on ``SIGTERM``/``SIGINT`` -- kills every remaining
  descendant (stopped first, so a fork storm cannot outrun the kill) and reaps them.

It exits with the command's status (``128 + n`` for a signal ``n``). Outside Linux
the prctl calls are skipped; the process-group kill of :mod:`pytest_agent._procs`
still applies.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import subprocess
import sys
import time

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(option, value, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as handle:
                found.extend(int(p) for p in handle.read().split())
        except OSError:
            continue
    return found


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (children files of /proc, depth first)."""
    result: list[int] = []
    stack = _children(pid)
    while stack:
        child = stack.pop()
        result.append(child)
        stack.extend(_children(child))
    return result


def _signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_descendants(deadline: float = 10.0) -> int:
    """Stop, then kill, every descendant of this process until none is left; return how many."""
    me = os.getpid()
    killed: set[int] = set()
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        pids = descendants(me)
        if not pids:
            break
        _signal_all(pids, signal.SIGSTOP)  # a forking process stops forking first
        _signal_all(pids, signal.SIGKILL)
        killed.update(pids)
        time.sleep(0.01)
        _reap()
    _reap()
    return len(killed)


def _limit_memory(limit: int) -> None:
    if limit <= 0:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))


def main(argv: list[str]) -> int:
    memory, parent, sep, *command = argv
    if sep != "--" or not command:
        print("usage: _reaper.py MEMORY_BYTES PARENT_PID -- command...", file=sys.stderr)
        return 2
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != int(parent):
        return 128 + signal.SIGTERM  # the parent died before the prctl took effect

    def stop(signum: int, frame: object) -> None:
        kill_descendants()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    _limit_memory(int(memory))
    try:
        child = subprocess.Popen(command)
    except OSError as exc:
        print(f"pytest-agent: cannot run {command[0]}: {exc}", file=sys.stderr)
        return 127
    code = child.wait()
    kill_descendants()
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
