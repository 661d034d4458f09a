"""Subprocesses with a timeout that kills the whole process group.

No shell strings: every command is an argument list (DESIGN.md, invariants).

Every command runs in its own session (process group), and the group is killed
when the command ends -- not only on timeout -- so a ``sleep`` a test started with
``Popen`` does not outlive the run. Inner test runs (``contain=True``) go further,
through the :mod:`pytest_agent._reaper` wrapper: a subreaper that also finds
double-forked daemons (which leave the group), kills the command when the harness
dies, and limits its memory to :data:`MEMORY_LIMIT` bytes of ``RLIMIT_DATA``
(environment ``PYTEST_AGENT_MEMORY_LIMIT_MB``; ``0`` for none; default 4096).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from typing import Any
from typing import final

__all__ = ["MAX_OUTPUT", "MEMORY_LIMIT", "ProcessResult", "run_process", "stop_helper",
           "wait_exit"]

_MB = 1 << 20
#: Bytes of ``RLIMIT_DATA`` for a contained command (``PYTEST_AGENT_MEMORY_LIMIT_MB``).
MEMORY_LIMIT = int(float(os.environ.get("PYTEST_AGENT_MEMORY_LIMIT_MB", "") or 4096) * _MB)
_REAPER = str(Path(__file__).with_name("_reaper.py"))
#: Bytes of a command's output kept (its head and tail halves).
MAX_OUTPUT = 16 * _MB
#: How long a contained command has to clean up after SIGTERM before SIGKILL.
_GRACE = 5.0


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
    contain: bool = False,
) -> ProcessResult:
    """Run ``argv`` in its own session; on timeout, SIGKILL its whole process group.

    stdout and stderr are merged, as a terminal would show them. The group is killed
    when the command ends, whatever its way of ending. ``contain`` runs it under the
    reaper wrapper (daemons, parent death, memory limit; see the module docstring).
    """
    start = time.monotonic()
    if contain:
        argv = [sys.executable, "-I", _REAPER, str(MEMORY_LIMIT), str(os.getpid()), "--", *argv]
    # Output goes to a file, not a pipe: a test printing gigabytes costs disk, not the
    # harness's memory (only MAX_OUTPUT is read back), and a daemon that keeps the
    # descriptor open cannot make us wait for an end-of-file that never comes.
    with tempfile.TemporaryFile() as sink:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            text=True,
            errors="replace",
        )
        timed_out = _wait(proc, stdin, timeout, contain)
        output = _read_capped(sink)
    return ProcessResult(
        returncode=proc.returncode if not timed_out else -signal.SIGKILL,
        output=output,
        duration=time.monotonic() - start,
        timed_out=timed_out,
    )


def wait_exit(proc: subprocess.Popen[Any], deadline: float) -> int:
    """``proc.wait()`` until ``deadline`` (monotonic), woken by the exit itself.

    ``Popen.wait(timeout)`` polls with sleeps that double up to 50 ms, so it returns up
    to 50 ms after a process of a few milliseconds (git) or a tenth of a second (a test
    run) ended. A ``pidfd`` is readable at the exit (Linux 5.3+); elsewhere, the polling
    wait. Raises ``subprocess.TimeoutExpired`` at the deadline.
    """
    pidfd = -1
    if proc.returncode is None:
        with contextlib.suppress(AttributeError, OSError):
            pidfd = os.pidfd_open(proc.pid)
    if pidfd < 0:
        return proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        while proc.poll() is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise subprocess.TimeoutExpired(proc.args, 0)
            poller.poll(max(1, int(remaining * 1000 + 1)))
    finally:
        os.close(pidfd)
    return proc.returncode


def _feed(proc: subprocess.Popen[str], data: str, deadline: float) -> None:
    """Write ``data`` to the command's stdin and close it, up to ``deadline``.

    Non-blocking writes: a command that does not read cannot hold the harness past
    its timeout. A command that exits without reading all of it is not an error here.
    """
    assert proc.stdin is not None
    fd = proc.stdin.fileno()
    os.set_blocking(fd, False)
    view = memoryview(data.encode())
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    try:
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise subprocess.TimeoutExpired(proc.args, 0)
            if not poller.poll(max(1, int(remaining * 1000 + 1))):
                continue
            try:
                view = view[os.write(fd, view):]
            except BlockingIOError:
                continue
            except BrokenPipeError:
                break
    finally:
        with contextlib.suppress(OSError):
            proc.stdin.close()


def _wait(proc: subprocess.Popen[str], stdin: str | None, timeout: float, contain: bool) -> bool:
    """Wait for ``proc`` up to ``timeout``; kill its group in any case; whether it timed out."""
    deadline = time.monotonic() + timeout
    try:
        if stdin is not None:
            _feed(proc, stdin, deadline)
        wait_exit(proc, deadline)
    except subprocess.TimeoutExpired:
        if contain:
            # The wrapper kills what left the group (daemons) before it exits.
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(_GRACE)
        return True
    finally:
        # Ended or not: nothing of the command's group outlives the call.
        _kill_group(proc)
    return False


def _read_capped(sink: IO[bytes]) -> str:
    """The output, its middle cut when it is longer than :data:`MAX_OUTPUT` bytes."""
    size = sink.seek(0, os.SEEK_END)
    sink.seek(0)
    if size <= MAX_OUTPUT:
        data = sink.read()
    else:
        half = MAX_OUTPUT // 2
        head = sink.read(half)
        sink.seek(size - half)
        cut = f"\n[... pytest-agent: {size - 2 * half} bytes of output cut ...]\n".encode()
        data = head + cut + sink.read()
    return data.decode("utf-8", errors="replace")


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def stop_helper(proc: subprocess.Popen[bytes]) -> None:
    """Kill a helper process started in its own session (the warm server, a validation
    worker) with its whole group, close our ends of its pipes and reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        proc.kill()
    for stream in (proc.stdin, proc.stdout):
        with contextlib.suppress(OSError):
            if stream is not None:
                stream.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
