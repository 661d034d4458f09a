"""A pool of warm candidate validators: forks of the task's test server, or the fallback.

The engine side of :mod:`pytest_agent._candidates`. A validator serves one candidate
at a time; the pool hands validators to threads through a queue. Two kinds:

- **forked from the task's warm test server** (:mod:`pytest_agent._serve`, the one
  that ran the baseline; a server of the search's own when no task has one): they
  inherit pytest, the plugins and the conftests it imported, work in the worktree
  itself and show each candidate's files to its session through an import hook,
  never writing them (:func:`open_pool` chooses this whenever forking is available);
- **fresh workers** (``python -m pytest_agent.engines.offline._worker``), each in a
  private copy of the workspace into which it writes the candidates' files: where
  the server cannot fork (``test_server: subprocess``, ``PYTEST_AGENT_NO_FORK=1``, no
  ``os.fork``) or cannot fork validators.

Every wait has a deadline: a validator that does not answer within the candidate's
timeout plus a grace period is killed (its whole process group) and replaced.
``close`` kills every validator and removes the copies; it runs on every exit path
(the pool is a context manager).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from types import TracebackType
from typing import Any
from typing import final

from pytest_agent import _tempdirs
from pytest_agent._jsonlines import JsonLineReader
from pytest_agent._outcomes import MemorySink
from pytest_agent._outcomes import Record
from pytest_agent._procs import stop_helper
from pytest_agent._server import TestServer
from pytest_agent._timeout import LIMITS_ENV
from pytest_agent._timeout import TestLimits
from pytest_agent.testrun import inner_pytest_env

__all__ = ["COPY_IGNORE", "RunResult", "WorkerPool", "open_pool"]

#: Directories never copied into a worker's tree: VCS data, caches (stale bytecode),
#: virtual environments.
COPY_IGNORE = (".git", "__pycache__", "*.pyc", ".venv", "venv", ".tox", ".nox", "node_modules",
               ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis")
#: Seconds a worker gets to start (import pytest) and to answer beyond its timeout.
STARTUP_TIMEOUT = 60.0
GRACE = 5.0
#: Seconds a validator forked from the server gets to connect (it imports nothing).
CONNECT_TIMEOUT = 30.0


@final
@dataclass(frozen=True)
class RunResult:
    """One pytest session on one candidate."""

    rc: int
    passed: int
    failed: tuple[str, ...]
    #: Per test (node ids in the form the args used): its worst outcome (``_outcomes``).
    outcomes: Mapping[str, str] = field(default_factory=dict)
    timed_out: bool = False
    crashed: bool = False
    duration: float = 0.0
    #: Tests stopped by their per-test timeout: node id -> "hung in <qualname> (<file>:<line>)".
    hung: Mapping[str, str] = field(default_factory=dict)
    #: Seconds of setup and call of each test that reached its call phase.
    durations: Mapping[str, float] = field(default_factory=dict)

    #: The session's outcome records (see :mod:`pytest_agent._outcomes`).
    records: tuple[Record, ...] = ()

    @property
    def ok(self) -> bool:
        return self.rc == 0 and not self.failed and not self.timed_out and not self.crashed

    @classmethod
    def of(cls, answer: Mapping[str, Any]) -> RunResult:
        """From a worker's answer: its session's records, tallied here."""
        tally = MemorySink(answer.get("records", ()))
        return cls(rc=int(answer.get("rc", -1)), passed=tally.passed, failed=tuple(tally.failed),
                   outcomes=tally.outcomes, timed_out=bool(answer.get("timed_out")),
                   crashed=bool(answer.get("crashed")),
                   duration=float(answer.get("duration", 0.0)), hung=tally.hung,
                   durations=tally.durations, records=tuple(tally.records))


class _Worker:
    def __init__(self, root: Path, test_root: Path, mem_headroom: int,
                 mutable: Sequence[str]) -> None:
        self.root = root
        self.mutable = list(mutable)
        self.test_root = test_root
        self.mem_headroom = mem_headroom
        self.proc: subprocess.Popen[bytes] | None = None
        self._lines = JsonLineReader()

    def start(self) -> None:
        env = inner_pytest_env(self.root)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pytest_agent.engines.offline._worker"],
            cwd=self.test_root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )
        self._send({"root": str(self.root), "mem_headroom": self.mem_headroom,
                    "mutable": self.mutable})

    def wait_ready(self) -> None:
        answer = self._receive(time.monotonic() + STARTUP_TIMEOUT)
        if answer is None or not answer.get("ready"):
            raise RuntimeError("a validation worker did not start")

    def _send(self, obj: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(obj) + "\n").encode())
        self.proc.stdin.flush()

    def _receive(self, deadline: float) -> dict[str, Any] | None:
        assert self.proc is not None and self.proc.stdout is not None
        return self._lines.receive(self.proc.stdout.fileno(), deadline)

    def run(self, files: Mapping[str, str], args: Sequence[str], timeout: float,
            limits: TestLimits, prepare: bool = True) -> RunResult:
        try:
            self._send({"files": dict(files), "args": list(args), "timeout": timeout,
                        "test_limits": limits.within(timeout).to_env()[LIMITS_ENV],
                        "prepare": prepare})
            answer = self._receive(time.monotonic() + timeout + GRACE)
        except (OSError, ValueError):
            answer = None
        if answer is None:
            # The worker itself hung or died: replace it (its copy is restored by the
            # restart, since the worker restores files only after a candidate ends).
            self.kill()
            return RunResult(rc=-1, passed=0, failed=(), timed_out=True, duration=timeout)
        return RunResult.of(answer)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        proc, self.proc = self.proc, None
        self._lines = JsonLineReader()
        if proc is None:
            return
        stop_helper(proc)


class _ForkedWorker(_Worker):
    """A validator forked from the task's warm server, talking over a Unix socket."""

    def __init__(self, server: TestServer, socket_path: Path, root: Path, test_root: Path,
                 mem_headroom: int, mutable: Sequence[str]) -> None:
        super().__init__(root, test_root, mem_headroom, mutable)
        self.server = server
        self.socket_path = socket_path
        self.pid: int | None = None
        self.conn: socket.socket | None = None

    def start(self) -> None:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(self.socket_path))
            listener.listen(1)
            listener.settimeout(CONNECT_TIMEOUT)
            pid = self.server.fork_validator(self.socket_path, self.root, self.mutable,
                                             self.mem_headroom)
            if pid is None:
                raise RuntimeError("the test server cannot fork validators ("
                                   + (self.server.broken or "a file it imported changed") + ")")
            self.pid = pid
            try:
                self.conn, _ = listener.accept()
            except OSError as exc:
                self.kill()
                raise RuntimeError(f"a forked validator did not connect ({exc})") from exc
            self.conn.settimeout(None)
        finally:
            listener.close()
            self.socket_path.unlink(missing_ok=True)

    def _send(self, obj: dict[str, Any]) -> None:
        if self.conn is None:
            raise OSError("the validator is gone")
        self.conn.sendall((json.dumps(obj) + "\n").encode())

    def _receive(self, deadline: float) -> dict[str, Any] | None:
        if self.conn is None:
            return None
        return self._lines.receive(self.conn.fileno(), deadline)

    @property
    def alive(self) -> bool:
        return self.conn is not None

    def kill(self) -> None:
        # The validator is the server's child (the server reaps it); its candidate's
        # child dies with it (``PR_SET_PDEATHSIG``).
        conn, self.conn = self.conn, None
        pid, self.pid = self.pid, None
        self._lines = JsonLineReader()
        if conn is not None:
            conn.close()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


class WorkerPool:
    """``size`` warm validators: forked from ``server``, or each with a private copy of
    ``root``.

    :param root: The workspace root (copied, never written).
    :param test_root: Where pytest runs (``root`` or a directory below it).
    :param size: Number of workers.
    :param mutable: The files candidates may change (root-relative): a pytest config
        whose parsing imports one of them is not reused across candidates.
    :param mem_headroom: Bytes of address space a candidate may add to the worker's.
    :param limits: Per-test timeouts (see ``_timeout``); the pool adds what it learns
        of the slowest test that finished in its runs, so a candidate that hangs in a
        test is stopped after a multiple of the baseline's slowest test.
    :param server: Fork the validators from this warm test server, attached to
        ``test_root``; when it cannot fork them, the pool falls back to fresh workers
        in copies and says why in :attr:`fallback`.
    :param own_server: Close ``server`` with the pool (a server of the pool's own).
    """

    def __init__(self, root: Path, test_root: Path, size: int, mutable: Sequence[str] = (),
                 mem_headroom: int = 2 << 30, limits: TestLimits | None = None,
                 server: TestServer | None = None, own_server: bool = False) -> None:
        self.server = server
        self.own_server = own_server
        #: Why validators are fresh workers although a server was given ("" if not).
        self.fallback = ""
        self.limits = limits if limits is not None else TestLimits()
        self.mutable = tuple(mutable)
        self.root = root
        self.rel = test_root.relative_to(root) if test_root != root else Path()
        self.size = max(1, size)
        self.mem_headroom = mem_headroom
        self._tmp: str | None = None
        self._workers: list[_Worker] = []
        self._originals: dict[str, str] = {}
        self._free: queue.Queue[_Worker] = queue.Queue()

    def __enter__(self) -> WorkerPool:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def forked(self) -> bool:
        """Validators are forks of the warm server (not fresh workers in copies)."""
        return self.server is not None

    @property
    def validators(self) -> str:
        """What the validators are, in words (for the search's notes)."""
        if self.server is not None:
            whose = "a test server started for the search" if self.own_server \
                else "the task's test server"
            then = f", then fresh workers in copies ({self.fallback})" if self.fallback else ""
            return f"{self.size} fork{'s' * (self.size != 1)} of {whose}{then}"
        why = f" ({self.fallback})" if self.fallback else ""
        return f"{self.size} fresh worker{'s' * (self.size != 1)} in copies{why}"

    def start(self) -> None:
        self._tmp = tempfile.mkdtemp(prefix=_tempdirs.prefix("offline"))
        if self.server is not None:
            try:
                self._start_forked(self.server, Path(self._tmp))
                return
            except RuntimeError as exc:
                self.fallback = str(exc)
                self._stop_workers()
                self._drop_server()
        self._start_copies(Path(self._tmp))

    def _start_forked(self, server: TestServer, tmp: Path) -> None:
        for i in range(self.size):
            forked = _ForkedWorker(server, tmp / f"v{i}.sock", self.root, self.root / self.rel,
                                   self.mem_headroom, self.mutable)
            self._workers.append(forked)
            forked.start()
        for worker in self._workers:
            worker.wait_ready()
            self._free.put(worker)

    def _copy_worker(self, tmp: Path, index: int) -> _Worker:
        """A fresh worker (not started) in a new private copy of ``root``."""
        copy = tmp / f"w{index}"
        shutil.copytree(self.root, copy, symlinks=True,
                        ignore=shutil.ignore_patterns(*COPY_IGNORE))
        return _Worker(copy, copy / self.rel, self.mem_headroom, self.mutable)

    def _start_copies(self, tmp: Path) -> None:
        for i in range(self.size):
            worker = self._copy_worker(tmp, i)
            worker.start()
            self._workers.append(worker)
        for worker in self._workers:
            worker.wait_ready()
            self._free.put(worker)

    def run(self, files: Mapping[str, str], args: Sequence[str], timeout: float, *,
            prepare: bool = True) -> RunResult:
        """Run one candidate on the next free worker (blocks until one is free).

        ``prepare=False``: an argument list used once; its session parses its own config
        (the worker neither keeps it parsed nor probes it).
        """
        worker = self._free.get()
        try:
            for rel in files:
                self._originals.setdefault(rel, _read(self.root / rel))
            if not worker.alive:
                worker = self._revive(worker)
            result = worker.run(files, args, timeout, self.limits, prepare)
        finally:
            self._free.put(worker)
        finished = [d for n, d in result.durations.items() if n not in result.hung]
        if finished and not files:
            # Only runs of the original code teach the limit: a candidate's slow test
            # must not raise the limit of the next candidates.
            self.limits = self.limits.seen(max(finished))
        return result

    def _revive(self, worker: _Worker) -> _Worker:
        """Start a validator that died again; one forked from a server that cannot fork
        any more (it died, or a file it imported changed) is replaced by a fresh worker
        in a copy."""
        self._restore(worker)
        try:
            worker.start()
            worker.wait_ready()
            return worker
        except RuntimeError as exc:
            if not isinstance(worker, _ForkedWorker) or self._tmp is None:
                raise
            self.fallback = self.fallback or str(exc)
        index = self._workers.index(worker)
        fresh = self._copy_worker(Path(self._tmp), index)
        self._workers[index] = fresh
        fresh.start()
        fresh.wait_ready()
        return fresh

    def warm(self, args: Sequence[str], timeout: float) -> None:
        """Run ``args`` once on the original files on every worker, concurrently.

        A worker parses the config and imports the session's dependencies on the first
        request with a new argument list (see ``_worker``); this pays that once per
        worker up front instead of inside the first candidates' timeouts.
        """
        import concurrent.futures as cf

        with cf.ThreadPoolExecutor(max_workers=self.size) as ex:
            futures = [ex.submit(w.run, {}, args, timeout, self.limits)
                       for w in self._workers if w.alive]
            for future in futures:
                future.result()

    def _restore(self, worker: _Worker) -> None:
        if isinstance(worker, _ForkedWorker):
            return  # it never wrote into the worktree
        for rel, text in self._originals.items():
            (worker.root / rel).write_text(text, encoding="utf-8")

    def _stop_workers(self) -> None:
        for worker in self._workers:
            worker.kill()
        self._workers.clear()
        self._free = queue.Queue()

    def _drop_server(self) -> None:
        server, self.server = self.server, None
        if server is not None and self.own_server:
            server.close()

    def close(self) -> None:
        self._stop_workers()
        self._drop_server()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def open_pool(root: Path, test_root: Path, size: int, *, mutable: Sequence[str] = (),
              mem_headroom: int = 2 << 30, limits: TestLimits | None = None,
              test_server: str = "auto", tests: Sequence[str] = ()) -> WorkerPool:
    """The validators of one search (not started: use the pool as a context manager).

    Forks of the task's warm test server when the task has one for ``test_root``;
    else of a server started here for the search (attached with the test files
    ``tests``), so that one interpreter, not one per validator, imports pytest, the
    plugins and the conftests. Fresh workers in copies where forking is unavailable
    (``test_server`` is the setting).
    """
    from pytest_agent._inner import inner_args
    from pytest_agent._server import fork_available
    from pytest_agent._server import task_tests_for

    server: TestServer | None = None
    own = False
    if fork_available(test_server):
        session = task_tests_for(test_root)
        server = session.server if session is not None else None
        if server is None or server.broken:
            server, own = TestServer(mem_headroom=mem_headroom), True
            server.start()
            server.attach(test_root, root, inner_args(tests), inner_pytest_env(test_root))
    return WorkerPool(root, test_root, size, mutable, mem_headroom, limits, server=server,
                      own_server=own)
