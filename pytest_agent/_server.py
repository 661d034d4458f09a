"""The client side of the warm test server, and the test runs of one task.

A task's inner test runs (the baseline with localization's coverage, the LLM's
``run_tests`` tool, intermediate checks) are forked from one warm server process
per task (:mod:`pytest_agent._serve`), which imported pytest, the plugins and the
conftests once. The final verify that decides a commit does not use it: it stays a
fresh ``python -m pytest`` process.

:class:`TaskTests` is what a task holds: its per-test timeouts, its server, and what
the baseline run measured for localization. It registers itself under the task's
test root, so that :func:`pytest_agent.testrun.run_recorded` (the one place that
runs an inner pytest) finds it from a path alone.

Where ``os.fork`` is unavailable (Windows; macOS, where forking a process that
imported system frameworks is unsafe), or with ``test_server: subprocess``
(``AGENT_TEST_SERVER=subprocess``), there is no server and every run is a fresh
subprocess, as before.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from typing import BinaryIO

from pytest_agent import _tempdirs
from pytest_agent._jsonlines import JsonLineReader
from pytest_agent._procs import ProcessResult
from pytest_agent._procs import stop_helper
from pytest_agent._procs import wait_exit
from pytest_agent._timeout import TestLimits

__all__ = [
    "FORCE_COLD_ENV", "ZYGOTE_ENV", "EarlyRun", "ForkedServer", "TaskTests", "TestServer", "Zygote",
    "changed_files", "fork_available", "start_zygote", "stop_zygote", "task_tests_for",
    "zygote_available",
]

#: Set to 1 to make every inner run a fresh subprocess (the fallback), whatever the settings.
FORCE_COLD_ENV = "PYTEST_AGENT_NO_FORK"
#: Seconds the server gets to import pytest and the plugins, and to parse the config.
STARTUP_TIMEOUT = 120.0
#: Seconds beyond a run's timeout the server gets to answer before it is killed.
GRACE = 10.0
#: Seconds an idle server gets to collect its validators and exit when it is closed.
CLOSE_WAIT = 5.0

_SESSIONS: dict[str, TaskTests] = {}
_SESSIONS_LOCK = threading.Lock()


def fork_available(mode: str = "auto") -> bool:
    """Whether inner runs may be forked from a warm server (``test_server`` setting)."""
    if mode == "subprocess" or os.environ.get(FORCE_COLD_ENV, "") not in ("", "0"):
        return False
    if not hasattr(os, "fork"):
        return False
    return mode == "fork" or sys.platform != "darwin"


def _key(root: Path) -> str:
    return str(root.resolve())


def task_tests_for(root: Path) -> TaskTests | None:
    """The :class:`TaskTests` registered for the test root ``root``, if any."""
    with _SESSIONS_LOCK:
        return _SESSIONS.get(_key(root))


class TestServer:
    """One warm server process (see :mod:`pytest_agent._serve`); thread-safe, one run at a time.

    Never raises from :meth:`run`: a server that cannot serve answers ``None`` and the
    caller runs a fresh process instead.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, *, mem_headroom: int = 2 << 30, python: str = sys.executable) -> None:
        self.mem_headroom = mem_headroom
        self.python = python
        self.proc: subprocess.Popen[bytes] | ForkedServer | None = None
        #: Pinned files (conftests and what they import) -> hash of their content.
        self.pinned: dict[str, str] = {}
        #: Why the server does not serve (empty while it does).
        self.broken = ""
        self.runs = 0
        self._attached = False
        self._lines = JsonLineReader()
        self._lock = threading.Lock()
        self._tmp = tempfile.mkdtemp(prefix=_tempdirs.prefix("server"))
        self._modules_out = ""

    def start(self) -> None:
        """Start the process; it imports pytest and the plugins meanwhile.

        Forked from this process's zygote when one runs (:func:`start_zygote`): it has
        imported them already, so the server costs a fork instead of an interpreter.
        """
        zygote = _running_zygote() if self.python == sys.executable else None
        if zygote is not None:
            self.proc = zygote.spawn()
            if self.proc is not None:
                return
        try:
            self.proc = subprocess.Popen(
                [self.python, "-m", "pytest_agent._serve"], cwd=self._tmp, env=_server_env(),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            self.broken = f"cannot start the test server: {exc}"

    def attach(self, cwd: Path, root: Path, args: Sequence[str], env: Mapping[str, str]) -> None:
        """Tell the server where the task's tests are; it parses their config once.

        Does not wait: the first run waits for the answer.
        """
        self._modules_out = str(Path(self._tmp) / "modules.json")
        self._send({"op": "attach", "cwd": str(cwd), "root": str(root), "args": list(args),
                    "env": dict(env), "mem_headroom": self.mem_headroom})

    def _send(self, obj: dict[str, Any]) -> None:
        if self.broken or self.proc is None or self.proc.stdin is None:
            self.broken = self.broken or "the test server is not running"
            return
        try:
            self.proc.stdin.write((json.dumps(obj) + "\n").encode())
            self.proc.stdin.flush()
        except OSError as exc:
            self._fail(f"the test server stopped ({exc})")

    def _receive(self, deadline: float) -> dict[str, Any] | None:
        if self.proc is None or self.proc.stdout is None:
            return None
        return self._lines.receive(self.proc.stdout.fileno(), deadline)

    def _ready(self) -> bool:
        """Wait for the start and attach answers (once)."""
        if self._attached or self.broken:
            return self._attached and not self.broken
        deadline = time.monotonic() + STARTUP_TIMEOUT
        started = self._receive(deadline)
        attached = self._receive(deadline) if started is not None else None
        if attached is None or not attached.get("ready"):
            self._fail("the test server did not start")
            return False
        self.pinned = dict(attached.get("pinned", {}))
        self._attached = True
        return True

    def stale(self) -> list[str]:
        """Pinned files whose content changed since the server imported them."""
        from pytest_agent._serve import fingerprint

        return sorted(p for p, h in self.pinned.items() if fingerprint(p) != h)

    def run(self, args: Sequence[str], env: Mapping[str, str], timeout: float,
            output: Path) -> ProcessResult | None:
        """One forked pytest session (``python -m pytest args`` as it would run in a fresh
        process); ``None`` when the server cannot serve it (then run a fresh process)."""
        with self._lock:
            if not self._ready() or self.stale():
                return None
            self._send({"op": "run", "args": list(args), "env": dict(env), "timeout": timeout,
                        "output": str(output), "modules_out": self._modules_out})
            answer = self._receive(time.monotonic() + timeout + GRACE)
            if answer is None or "rc" not in answer:
                self._fail("the test server did not answer")
                return None
            self.runs += 1
        try:
            text = output.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        return ProcessResult(returncode=int(answer["rc"]), output=text,
                             duration=float(answer.get("duration", 0.0)),
                             timed_out=bool(answer.get("timed_out")))

    def fork_validator(self, socket_path: Path, root: Path, mutable: Sequence[str],
                       mem_headroom: int) -> int | None:
        """Fork a candidate validator from the server (see :mod:`pytest_agent._candidates`),
        which connects to the Unix socket ``socket_path``; its pid, or ``None`` when the
        server cannot serve (then validate in fresh processes)."""
        with self._lock:
            if not self._ready() or self.stale():
                return None
            self._send({"op": "validator", "socket": str(socket_path), "root": str(root),
                        "mutable": list(mutable), "mem_headroom": mem_headroom})
            answer = self._receive(time.monotonic() + GRACE)
            if answer is None or "pid" not in answer:
                self._fail("the test server did not answer")
                return None
            return int(answer["pid"])

    def _fail(self, reason: str) -> None:
        self.broken = self.broken or reason
        self._kill()

    def _kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if isinstance(proc, ForkedServer):
            proc.stop()
            return
        if proc.poll() is not None:  # it exited and was collected: its pid may be reused
            for stream in (proc.stdin, proc.stdout):
                with contextlib.suppress(OSError):  # a write it never read: broken pipe
                    if stream is not None:
                        stream.close()
            return
        stop_helper(proc)

    def close(self) -> None:
        """Stop the server and remove its files.

        First by closing its stdin: an idle server then kills and collects the
        validators it forked (their CPU time is accounted to it, and to us once we
        collect it) and exits. One that does not exit at once is killed with its group
        (its running child dies with it).
        """
        proc = self.proc
        if proc is not None and proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=CLOSE_WAIT)
        self._kill()
        import shutil

        shutil.rmtree(self._tmp, ignore_errors=True)


def _server_env() -> dict[str, str]:
    """The environment a server (or the zygote) starts with; attach replaces it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_ADDOPTS")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


class ForkedServer:
    """A task server forked by the zygote: what :class:`TestServer` uses of a ``Popen``
    (its pipes, ``pid``, ``poll``, ``wait``), for a process that is not our child.

    Its pid comes from the zygote's answer, read when first needed (the first server is
    asked for while the zygote still imports); the zygote collects the process only
    when :meth:`stop` releases it, so the pid cannot be reused before.
    """

    def __init__(self, zygote: Zygote, ticket: int, stdin: BinaryIO, stdout: BinaryIO) -> None:
        self.zygote = zygote
        self.ticket = ticket
        self.stdin: BinaryIO | None = stdin
        self.stdout: BinaryIO | None = stdout
        self._pid: int | None = None
        self._pidfd = -1
        self._released = False

    def _resolve(self, timeout: float) -> int | None:
        if self._pid is None:
            self._pid = self.zygote.answer_pid(self.ticket, time.monotonic() + timeout)
            if self._pid is not None:
                with contextlib.suppress(OSError):
                    self._pidfd = os.pidfd_open(self._pid)
        return self._pid

    @property
    def pid(self) -> int:
        """The server's pid (-1 if the zygote never forked it)."""
        pid = self._resolve(STARTUP_TIMEOUT)
        return -1 if pid is None else pid

    def _exited(self, timeout: float) -> bool:
        if self._resolve(timeout) is None:
            return bool(self.zygote.broken)  # not forked yet, or never will be
        if self._pidfd < 0:
            return True  # collected before we looked
        ready, _, _ = select.select([self._pidfd], [], [], max(0.0, timeout))
        return bool(ready)

    def poll(self) -> int | None:
        """``None`` while the server runs (its exit status is the zygote's to collect)."""
        return 0 if self._exited(0.0) else None

    def wait(self, timeout: float) -> int:
        if not self._exited(timeout):
            raise subprocess.TimeoutExpired("pytest_agent._serve (forked)", timeout)
        return 0

    def stop(self) -> None:
        """Kill the server's group if it still runs, close our pipes, and let the zygote
        collect it."""
        if self._resolve(GRACE) is not None and not self._exited(0.0):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
        for stream in (self.stdin, self.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
        self.stdin = self.stdout = None
        if self._pidfd >= 0:
            os.close(self._pidfd)
            self._pidfd = -1
        if self._pid is not None and not self._released:
            self._released = True
            self.zygote.release(self._pid)


class Zygote:
    """This process's parent of task servers (``python -m pytest_agent._serve --zygote``):
    it imports pytest, the plugins and coverage once, and forks each task's server, which
    then costs a fork instead of an interpreter start (a third of a task's CPU before).

    One per process (:func:`start_zygote`); connected by a Unix ``SOCK_SEQPACKET`` socket
    that carries each server's pipes. It ends when the socket closes: :meth:`close`, or
    this process's death (a ``kill -9`` too), and takes the servers left with it; each
    server also dies with it (``PR_SET_PDEATHSIG``), and their children with them.
    """

    def __init__(self, python: str = sys.executable, *, shared: bool = False,
                 path: str = "") -> None:
        """Start a zygote; with ``shared``, one that other processes (an xdist run's
        workers) reach at :attr:`path`. With ``path``: connect to such a zygote instead
        (this process did not start it and does not stop it)."""
        import socket

        self.broken = ""
        self._lock = threading.Lock()
        self._sent = 0
        self._read = 0
        self._answers: dict[int, dict[str, Any]] = {}
        self._tmp = ""
        self.path = path
        self.proc: subprocess.Popen[bytes] | None = None
        if path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                self.sock.connect(path)
            except OSError as exc:
                self.broken = f"cannot reach the zygote at {path}: {exc}"
                self.sock.close()
            return
        self._tmp = tempfile.mkdtemp(prefix=_tempdirs.prefix("zygote"))
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv = [python, "-m", "pytest_agent._serve", "--zygote", str(theirs.fileno())]
        held = [theirs]
        try:
            if shared:
                listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                held.append(listener)
                self.path = str(Path(self._tmp) / "zygote.sock")  # in our private dir
                listener.bind(self.path)
                listener.listen(64)
                argv.append(str(listener.fileno()))
            self.proc = subprocess.Popen(
                argv, cwd=self._tmp, env=_server_env(), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                pass_fds=tuple(s.fileno() for s in held),
            )
        except OSError as exc:
            self.broken = f"cannot start the zygote: {exc}"
        finally:
            for sock in held:
                sock.close()

    def spawn(self) -> ForkedServer | None:
        """Ask for a task server; ``None`` if the zygote cannot serve (start one fresh)."""
        import socket

        requests_r, requests_w = os.pipe()
        answers_r, answers_w = os.pipe()
        with self._lock:
            try:
                if self.broken:
                    raise OSError(self.broken)
                socket.send_fds(self.sock, [b'{"op": "spawn"}'], [requests_r, answers_w])
                self._sent += 1
                ticket = self._sent
            except OSError as exc:
                self.broken = self.broken or f"the zygote stopped ({exc})"
                for fd in (requests_w, answers_r):
                    os.close(fd)
                return None
            finally:
                os.close(requests_r)
                os.close(answers_w)
        return ForkedServer(self, ticket, os.fdopen(requests_w, "wb"), os.fdopen(answers_r, "rb"))

    def answer_pid(self, ticket: int, deadline: float) -> int | None:
        """The pid of the server asked for as ``ticket`` (answers come in order)."""
        with self._lock:
            while self._read < ticket and not self.broken:
                remaining = deadline - time.monotonic()
                ready, _, _ = select.select([self.sock], [], [], max(0.0, remaining))
                if not ready:
                    return None
                try:
                    data = self.sock.recv(1 << 12)
                except OSError:
                    data = b""
                if not data:
                    self.broken = "the zygote stopped"
                    break
                self._read += 1
                self._answers[self._read] = json.loads(data)
            pid = self._answers.pop(ticket, {}).get("pid")
            return int(pid) if pid is not None else None

    def release(self, pid: int) -> None:
        """The client is done with the server ``pid``: the zygote kills what is left of it
        and collects it."""
        with self._lock, contextlib.suppress(OSError):
            self.sock.send(json.dumps({"op": "release", "pid": pid}).encode())

    def close(self) -> None:
        """Stop the zygote: it kills and collects the servers left, then exits; we collect
        it (their CPU time is then accounted to this process)."""
        with self._lock:
            with contextlib.suppress(OSError):
                self.sock.close()
            self.broken = self.broken or "closed"
        if self.proc is not None:
            try:
                self.proc.wait(timeout=CLOSE_WAIT)
            except subprocess.TimeoutExpired:
                stop_helper(self.proc)
        if self._tmp:
            import shutil

            shutil.rmtree(self._tmp, ignore_errors=True)


#: This process's zygote, under its pid (a forked child of ours must not use it).
_ZYGOTES: dict[int, Zygote] = {}


def zygote_available() -> bool:
    """Whether task servers can be forked from a zygote here (Linux: ``pidfd_open`` to
    wait for a process that is not our child, file descriptors over a Unix socket)."""
    import socket

    if not (hasattr(os, "pidfd_open") and hasattr(socket, "send_fds")
            and sys.platform.startswith("linux")):
        return False
    try:  # the kernel may lack it (before 5.3) or a sandbox may refuse it
        os.close(os.pidfd_open(os.getpid()))
    except OSError:
        return False
    return True


#: Where an xdist run's workers reach the zygote their controller started.
ZYGOTE_ENV = "PYTEST_AGENT_ZYGOTE"


def start_zygote(*, shared: bool = False) -> None:
    """Start this process's zygote (once); later :class:`TestServer` starts fork from it.

    With ``shared`` (an xdist controller, whose workers run the tasks), the zygote also
    listens on a socket whose path goes to the workers in ``$PYTEST_AGENT_ZYGOTE``: they
    inherit the environment when they start, and :func:`start_zygote` in a worker
    connects there (and takes the variable out of its environment, so that no inner run
    sees it), or starts a zygote of its own if that fails. Stopped by :func:`stop_zygote`,
    at the latest when this process exits.
    """
    if _running_zygote() is not None or not zygote_available():
        return
    stop_zygote()  # a broken one
    import atexit

    path = os.environ.pop(ZYGOTE_ENV, "")
    zygote = Zygote(path=path) if path and not shared else None
    if zygote is None or zygote.broken:
        zygote = Zygote(shared=shared)
    if shared and zygote.path:
        os.environ[ZYGOTE_ENV] = zygote.path
    _ZYGOTES[os.getpid()] = zygote
    atexit.unregister(stop_zygote)
    atexit.register(stop_zygote)


def _running_zygote() -> Zygote | None:
    """This process's zygote, while it serves."""
    zygote = _ZYGOTES.get(os.getpid())
    return zygote if zygote is not None and not zygote.broken else None


def stop_zygote() -> None:
    """Stop this process's zygote, if it runs."""
    zygote = _ZYGOTES.pop(os.getpid(), None)
    if zygote is not None:
        if zygote.proc is not None and os.environ.get(ZYGOTE_ENV) == zygote.path:
            del os.environ[ZYGOTE_ENV]  # ours, for our workers: gone with it
        zygote.close()


def changed_files(root: Path, timeout: float = 30.0) -> set[str] | None:
    """Absolute paths of files in the git worktree ``root`` that differ from its HEAD
    (modified, added, deleted, renamed, untracked); ``None`` if git cannot tell."""
    from pytest_agent._procs import run_process

    try:
        proc = run_process(["git", "status", "--porcelain", "-z", "--untracked-files=all"],
                           cwd=root, timeout=timeout)
    except OSError:
        return None
    if proc.returncode != 0 or proc.timed_out:
        return None
    paths = set()
    for entry in proc.output.split("\0"):
        # "XY path" entries; a rename's old path follows as a bare entry.
        rel = entry[3:] if len(entry) > 3 and entry[2] == " " else entry
        if rel:
            paths.add(os.path.abspath(root / rel))
    return paths


class EarlyRun:
    """A fresh ``python -m pytest`` process started before it is needed (see ``_gate``).

    Started while the worktree is at its base commit; it loads pytest, the plugins and
    the initial conftests, then waits. :meth:`use` runs it on the given tests if none of
    the files it read has changed since; otherwise it answers ``None`` (and the caller
    starts a new process). Used once.
    """

    def __init__(self, test_root: Path, root: Path, args: Sequence[str],
                 python: str = sys.executable) -> None:
        from pytest_agent._collector import REPORT_ENV
        from pytest_agent._gate import GATE_ENV
        from pytest_agent._gate import PLUGIN as GATE_PLUGIN
        from pytest_agent._inner import inner_args
        from pytest_agent._inner import inner_pytest_env

        self.test_root = test_root
        self.root = root
        self.tmp = Path(tempfile.mkdtemp(prefix=_tempdirs.prefix("early")))
        self.report = self.tmp / "outcomes.jsonl"
        self.output = self.tmp / "output.txt"
        go_read, self._go = os.pipe()
        self._ready, ready_write = os.pipe()
        env = inner_pytest_env(test_root, {REPORT_ENV: str(self.report),
                                           GATE_ENV: f"{go_read},{ready_write}"})
        self.proc: subprocess.Popen[bytes] | None = None
        try:
            with open(self.output, "wb") as out:
                self.proc = subprocess.Popen(
                    [python, "-m", "pytest", *inner_args(args, (GATE_PLUGIN,))], cwd=test_root,
                    env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True, pass_fds=(go_read, ready_write))
        except OSError:
            self.proc = None
        finally:
            os.close(go_read)
            os.close(ready_write)

    def _files_read(self, deadline: float) -> list[str] | None:
        """What the process reported at its gate (``None``: it never got there)."""
        data = b""
        while not data.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self._ready], [], [], remaining)
            chunk = os.read(self._ready, 1 << 16) if ready else b""
            if ready and not chunk:
                return None  # it exited before its gate (a usage error, a broken conftest)
            data += chunk
        return list(json.loads(data).get("files", ()))

    def use(self, args: Sequence[str], limits: str, timeout: float
            ) -> tuple[ProcessResult, list[dict[str, Any]]] | None:
        """Run ``args`` (node ids) in the waiting process; ``None`` when it cannot be used."""
        from pytest_agent._collector import read_records

        if self.proc is None:
            return None
        started = time.monotonic()
        files = self._files_read(started + timeout)
        changed = changed_files(self.root) if files is not None else None
        if files is None or changed is None or changed.intersection(files):
            self.close()
            return None
        request = json.dumps({"args": list(args), "limits": limits}) + "\n"
        try:
            os.write(self._go, request.encode())
        except OSError:
            self.close()
            return None
        timed_out = False
        try:
            rc = wait_exit(self.proc, started + timeout)
        except subprocess.TimeoutExpired:
            timed_out, rc = True, -signal.SIGKILL
        self._kill_group()  # whatever the tests started ends with the run
        result = ProcessResult(
            returncode=rc, output=self.output.read_text(encoding="utf-8", errors="replace"),
            duration=time.monotonic() - started, timed_out=timed_out)
        records = read_records(self.report)
        self.close()
        return result, records

    def _kill_group(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)

    def close(self) -> None:
        self._kill_group()
        self.proc = None
        for fd in (self._go, self._ready):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._go = self._ready = -1
        import shutil

        shutil.rmtree(self.tmp, ignore_errors=True)


class TaskTests:
    """The inner test runs of one task: per-test timeouts, the warm server, the
    baseline's coverage for localization. Use :meth:`open` and :meth:`close`."""

    def __init__(self, limits: TestLimits, server: TestServer | None) -> None:
        self.limits = limits
        self.server = server
        self.root: Path | None = None
        #: The proof's process, started early (with the server only; used once).
        self.early: EarlyRun | None = None
        #: Records of localization's coverage plugin from the baseline run, by targets.
        self.spectra: dict[frozenset[str], tuple[list[dict[str, Any]], ProcessResult]] = {}

    @classmethod
    def open(cls, settings: Any) -> TaskTests:
        """Start the task's server (if forking is available); it warms up meanwhile."""
        server: TestServer | None = None
        if fork_available(str(getattr(settings, "test_server", "auto"))):
            server = TestServer()
            server.start()
        return cls(TestLimits.from_settings(settings), server)

    def attach(self, test_root: Path, root: Path, args: Sequence[str]) -> None:
        """The worktree exists: register under ``test_root``; the server parses once."""
        from pytest_agent._inner import inner_args
        from pytest_agent._inner import inner_pytest_env

        self.root = test_root
        with _SESSIONS_LOCK:
            _SESSIONS[_key(test_root)] = self
        if self.server is not None:
            # The arguments of the runs (without the ini's addopts, as they run): the
            # conftests are imported in the import mode the runs will ask for.
            self.server.attach(test_root, root, inner_args(args), inner_pytest_env(test_root))
            # The worktree is at its base commit: the right moment to start the final
            # verify's fresh process, which then waits at its gate.
            self.early = EarlyRun(test_root, root, args)

    def take_early(self) -> EarlyRun | None:
        """The early-started fresh process, once."""
        early, self.early = self.early, None
        return early

    def close(self) -> None:
        if self.root is not None:
            with _SESSIONS_LOCK:
                if _SESSIONS.get(_key(self.root)) is self:
                    del _SESSIONS[_key(self.root)]
        if self.early is not None:
            self.early.close()
        if self.server is not None:
            self.server.close()
