"""The warm test server of one task: imports pytest once, forks a child per run.

Run as ``python -m pytest_agent._serve`` by :mod:`pytest_agent._server` (the client),
never imported by the user's pytest process. Lifecycle:

1. **start** (while the task's worktree is being checked out): import pytest, its
   built-in plugins and the installed plugins a session would load;
2. **attach** (the worktree exists): take the inner run's environment, working
   directory and ``sys.path``; parse a config once over the task's test files, which
   imports the initial conftests, the plugins they name and what *they* import (the
   expensive part of a session's start). Those project files are *pinned*: the
   answer lists them with a hash of their content, and the client sends a run here
   only while they are unchanged (a change to a conftest, a plugin or a module such
   a file imported falls back to a fresh process);
3. **run**: fork a child, in its own process group, with a memory limit, killed when
   its parent dies; it drops every module of the project that is not pinned (edits
   are seen), takes the conftest modules imported at attach instead of executing
   their files again (pytest would: ``_compat.reuse_conftests``), runs
   ``pytest.main(args)`` with its output in a file, and exits. The
   server waits at most the run's timeout, then kills the child's whole group in any
   case (whatever a test spawned goes with it) and answers. After the first run the
   server imports the modules from outside the project that the run loaded (the
   tests' third-party dependencies), unless importing one pulls in project code.

Protocol: one JSON object per line on stdin, one answer per line on stdout.

**The zygote** (``python -m pytest_agent._serve --zygote FD``, one per harness process,
see :class:`pytest_agent._server.Zygote`): does step 1 once, then forks each task's
server on request, handing it the two pipes the request carried; a forked server starts
at step 2, its own session and process group, and dies with the zygote. A task's server
then costs a fork, not an interpreter that imports pytest (a third of a task's CPU).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import select
import signal
import sys
import time
from collections.abc import Iterable
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any
from typing import TextIO

from pytest_agent._forkchild import as_fresh_pytest
from pytest_agent._forkchild import die_with_parent
from pytest_agent._forkchild import import_outside
from pytest_agent._forkchild import limit_memory

__all__ = [
    "drop_shadowed", "fingerprint", "main", "serve", "shadowed_modules", "warm_imports",
    "warm_stack_caches", "zygote",
]

#: Path parts of files that never belong to the project under test.
_FOREIGN = ("site-packages", "dist-packages", "/.venv/", "/venv/", "/.tox/", "/.nox/")
_POLL = 0.005


def fingerprint(path: str) -> str:
    """A hash of a file's bytes ("" when it is gone): unchanged content, same hash."""
    try:
        return hashlib.sha1(Path(path).read_bytes(), usedforsecurity=False).hexdigest()
    except OSError:
        return ""


def _module_file(module: Any) -> str:
    path = getattr(module, "__file__", None)
    return os.path.abspath(path) if isinstance(path, str) else ""


class _Project:
    """Which files are the project's: under its root, not in an installed package."""

    def __init__(self, roots: Iterable[str]) -> None:
        self.roots = tuple(os.path.abspath(r) + os.sep for r in roots)

    def owns(self, path: str) -> bool:
        return bool(path) and path.startswith(self.roots) and \
            not any(part in path for part in _FOREIGN)

    def modules(self) -> dict[str, str]:
        """Name -> file of every module of the project in ``sys.modules``."""
        found: dict[str, str] = {}
        for name, module in list(sys.modules.items()):
            path = _module_file(module)
            if self.owns(path):
                found[name] = path
        return found


#: Our inner-run plugins and localization's coverage plugin.
_OUR_PLUGINS = ("pytest_agent._collector", "pytest_agent._timeout",
                "pytest_agent.localize._covplugin")


def warm_imports(*, stack_caches: bool = True) -> None:
    """Import pytest, its built-in plugins and the plugins a session loads (and, with
    ``stack_caches``, fill the caches of :func:`warm_stack_caches`).

    By parsing a throwaway config here (the server's empty temp directory): plugins
    are then imported as a session imports them, through pytest's assertion-rewriting
    hook, so a session in a child neither warns that they were imported before it nor
    runs them unrewritten.
    """
    from pytest_agent._compat import ensure_unconfigure
    from pytest_agent._compat import prepare_config

    with contextlib.suppress(Exception, SystemExit):
        args = [flag for name in _OUR_PLUGINS for flag in ("-p", name)]
        ensure_unconfigure(prepare_config([*args, "-p", "no:cacheprovider"], ()))
    with contextlib.suppress(ImportError):
        import coverage  # noqa: F401 - used by the baseline run's coverage plugin
    if stack_caches:
        warm_stack_caches()


#: Packages whose functions make up a session's call stack in a forked run.
_STACK_PACKAGES = ("_pytest", "pytest", "pluggy", "pytest_agent", "coverage")


def warm_stack_caches() -> None:
    """Fill, once here, the caches a forked session fills on its first look at its stack.

    Starting coverage (the baseline's localization plugin) records the call stack
    (``coverage.debug.short_stack`` -> ``inspect.stack``): the source lines of every
    frame (``linecache``, whole files of pytest and pluggy) and ``inspect.getmodule``'s
    map of every loaded module's file (hundreds of ``realpath`` calls). Pytest's
    rendering of a failure does the same for the frames it shows. A forked child finds
    both filled here (14 ms of a baseline run's 122 ms on the parallel benchmark). Only
    caches: ``linecache`` checks each file's size and time when it is used.
    """
    import inspect
    import linecache

    # A frame has no ``__module__``: this maps the file of every module loaded now.
    inspect.getmodule(sys._getframe())
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if name.partition(".")[0] in _STACK_PACKAGES and isinstance(path, str) \
                and path.endswith(".py"):
            linecache.getlines(path)


#: What this process runs on: never dropped (a project that is one of them is tested
#: by a pytest that runs on the installed copy; see :func:`shadowed_modules`).
_KEPT = frozenset({"pytest", "_pytest", "pluggy", "pytest_agent"})


def shadowed_modules(project: _Project) -> list[str]:
    """Top-level modules imported here from outside ``project`` that the project
    provides itself, first on ``sys.path`` (the server's, once attached).

    This process imported pytest, its plugins and what they import (``pygments``, a
    plugin's dependencies) before it knew the task, with another ``sys.path``; a fresh
    ``python -m pytest`` in the project, with the project first on its path, imports
    the project's copies of them. A test would otherwise run the installed code.
    """
    import importlib.machinery

    found: list[str] = []
    for name, module in list(sys.modules.items()):
        path = _module_file(module)
        if "." in name or not path or project.owns(path) or name in _KEPT \
                or name in sys.stdlib_module_names:
            continue
        try:
            spec = importlib.machinery.PathFinder.find_spec(name, sys.path)
        except (ImportError, ValueError):
            continue
        origin = spec.origin if spec is not None else None
        if origin and project.owns(os.path.abspath(origin)):
            found.append(name)
    return sorted(found)


def drop_shadowed(project: _Project) -> list[str]:
    """Forget the modules of :func:`shadowed_modules` (and their submodules): the next
    import finds the project's. Objects already imported from them (pytest's
    references) stay as they are. Returns the top-level names dropped."""
    names = shadowed_modules(project)
    for name in [m for m in sys.modules if m.partition(".")[0] in names]:
        del sys.modules[name]
    return names


class Server:
    """The server's state: the project, the pinned files, the modules warmed after runs."""

    def __init__(self) -> None:
        self.project = _Project(())
        self.pinned: dict[str, str] = {}
        #: The project's conftest modules the attach imported (resolved path -> module),
        #: as they were right after their import: this process never runs a session.
        self.conftests: dict[str, ModuleType] = {}
        #: The import mode they were imported with (a run in another mode imports them).
        self.conftest_mode = "prepend"
        self.mem_headroom = 0
        self.warmed = False
        #: A run reported the outside modules it loaded (and they were imported here).
        self.learned = False
        #: Pids of the candidate validators forked so far and not yet reaped.
        self.validators: set[int] = set()
        #: Modules imported before the attach that the project provides itself (dropped).
        self.shadowed: list[str] = []
        #: Variables the conftests set (or removed) when the attach imported them.
        self.conftest_env: dict[str, str] = {}
        self.conftest_unset: list[str] = []

    # -- attach ----------------------------------------------------------------

    def attach(self, req: dict[str, Any]) -> dict[str, Any]:
        cwd, root = str(req["cwd"]), str(req["root"])
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in req["env"].items()})
        # As ``python -m pytest`` with PYTHONPATH=<root>:... in ``cwd`` would have it.
        sys.path[0] = cwd
        if root not in sys.path:
            sys.path.insert(1, root)
        self.project = _Project({cwd, root})
        self.mem_headroom = int(req.get("mem_headroom", 0))
        # Before the conftests import anything: they must find the project's copies.
        self.shadowed = drop_shadowed(self.project)
        env = dict(os.environ)
        error = self._parse_once(list(req.get("args", ())))
        # What the conftests did to the environment: a child that reuses them (and does
        # not execute them) gets it on top of its own run's environment.
        self.conftest_env = {k: v for k, v in os.environ.items() if env.get(k) != v}
        self.conftest_unset = sorted(set(env) - set(os.environ))
        # The conftests too: pytest keeps only the last one outside a package in
        # ``sys.modules`` (they are all "conftest"), and children reuse every one (by
        # the path pytest asked for and the file the module came from).
        files = {*self.project.modules().values(),
                 *(_module_file(m) for m in self.conftests.values())}
        files |= set(self.conftests) - {os.path.realpath(f) for f in files}
        self.pinned = {path: fingerprint(path) for path in sorted(files) if path}
        # Everything imported so far is shared by every child: their garbage
        # collections need not scan it (nor touch its copy-on-write pages).
        gc.freeze()
        return {"ready": True, "pinned": self.pinned, "error": error,
                "shadowed": self.shadowed}

    def _parse_once(self, args: list[str]) -> str:
        """Parse a config over ``args`` (imports the initial conftests), then drop it;
        keep the conftest modules of the project it imported, for children to reuse."""
        from pytest_agent._compat import conftest_modules
        from pytest_agent._compat import ensure_unconfigure
        from pytest_agent._compat import import_mode
        from pytest_agent._compat import prepare_config

        try:
            config = prepare_config(args, ())
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - each run reports it itself
            return f"{type(exc).__name__}: {exc}"
        self.conftests = {path: module for path, module in conftest_modules(config).items()
                          if self.project.owns(_module_file(module))}
        self.conftest_mode = import_mode(config)
        # Undo what parsing set up in this process (capture of fds 1 and 2, the
        # assertion-rewriting import hook); the imported modules stay.
        ensure_unconfigure(config)
        return ""

    # -- warm the tests' dependencies ------------------------------------------

    def warm_modules(self, names: list[str]) -> None:
        """Import modules from outside the project that a run loaded.

        An import that pulls in a module of the project is undone entirely (that
        module would be stale in the children).
        """
        import_outside(names, lambda module: self.project.owns(_module_file(module)))
        gc.freeze()

    # -- run ---------------------------------------------------------------------

    def run(self, req: dict[str, Any]) -> dict[str, Any]:
        started = time.monotonic()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child; it reports through files
            _child(self, req, parent)
        timed_out, status = _wait(pid, started + float(req["timeout"]))
        modules: list[str] = []
        if req.get("modules_out") and not self.warmed:
            with contextlib.suppress(OSError, ValueError):
                modules = list(json.loads(Path(req["modules_out"]).read_text()))
                self.learned = True
            self.warmed = bool(modules)
        rc = -signal.SIGKILL if timed_out else _returncode(status)
        return {"rc": rc, "timed_out": timed_out, "duration": time.monotonic() - started,
                "modules": modules}


    # -- candidate validators ----------------------------------------------------

    def validator(self, req: dict[str, Any], inherited: Sequence[int]) -> dict[str, Any]:
        """Fork a candidate validator (:mod:`pytest_agent._candidates`) that serves the
        client on the Unix socket ``req["socket"]``; answers its pid at once.

        It inherits everything imported here (pytest, the plugins, the conftests);
        ``inherited`` are this server's protocol pipes, closed in the validator.
        """
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the validator; it reports on its socket
            _validator(self, req, inherited, parent)
        self.validators.add(pid)
        return {"pid": pid}

    def reuse_conftests(self) -> bool:
        """In a forked child or validator: let its sessions take the conftest modules
        imported here instead of executing their files again (pytest re-executes a
        conftest outside a package in every config), while every pinned file (the
        conftests and what they imported from the project) is as it was imported.
        Whether they are reused; if not, sessions import them afresh."""
        from pytest_agent._compat import CompatError
        from pytest_agent._compat import reuse_conftests

        if not self.conftests or any(fingerprint(p) != h for p, h in self.pinned.items()):
            return False
        try:
            reuse_conftests(self.conftests, self.conftest_mode)
        except CompatError:  # pragma: no cover - another pytest: import them again
            return False
        return True

    def conftests_environ(self) -> None:
        """Redo what the conftests' import did to ``os.environ``, in a child that takes
        its environment from its run and reuses the conftests (never executes them)."""
        os.environ.update(self.conftest_env)
        for name in self.conftest_unset:
            os.environ.pop(name, None)

    def reap(self, *, all_of_them: bool = False) -> None:
        """Collect validators that ended (between requests: no run's child is alive then);
        with ``all_of_them`` (the server is stopping), kill and collect every one, so that
        their CPU time is accounted to this process and, through it, to the harness."""
        for pid in list(self.validators):
            if all_of_them:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
            try:
                done, _ = os.waitpid(pid, 0 if all_of_them else os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self.validators.discard(pid)


def _validator(server: Server, req: dict[str, Any], inherited: Sequence[int],
               parent: int) -> None:
    """In the forked validator: own group, dies with the server, serves candidates."""
    code = 1
    try:
        # Its own session (and process group, killed as one): as a fresh worker started
        # with ``start_new_session``, it is then its own scheduling group (Linux
        # autogroup), not one share with the server and the other validators.
        os.setsid()
        die_with_parent(parent)
        for fd in inherited:
            os.close(fd)
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        import socket

        from pytest_agent._candidates import Validator
        from pytest_agent._candidates import serve

        root = Path(req["root"])
        mutable = [str(m) for m in req.get("mutable", ())]
        changed = {os.path.realpath(root / m) for m in mutable}
        if changed & {os.path.realpath(p) for p in server.pinned}:
            # Parsing the config imported a file candidates change (a conftest, or a
            # module a conftest imports): this validator keeps no module of the project
            # and reuses no conftest; each parses afresh.
            for name in server.project.modules():
                del sys.modules[name]
        else:
            server.reuse_conftests()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(30.0)
        sock.connect(str(req["socket"]))
        sock.settimeout(None)
        # Probe even after the baseline taught the server its outside modules: the
        # server leaves out the packages pytest rewrites (a plugin's, hypothesis), and
        # a session that imports one lazily (hypothesis's terminal summary) imported
        # and rewrote it again in every candidate's child (1-3 s a session, semver).
        validator = Validator(root, int(req.get("mem_headroom", server.mem_headroom)),
                              mutable, in_memory=True, probe=True)
        serve(sock.makefile("r", encoding="utf-8"), sock.makefile("w", encoding="utf-8"),
              validator)
        code = 0
    except BaseException:  # noqa: BLE001 - the forked validator must never return into
        code = 1           # the server's loop: whatever it raised ends here
    finally:
        os._exit(code)


def _returncode(status: int) -> int:
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1


def _wait(pid: int, deadline: float) -> tuple[bool, int]:
    """Wait for the child until ``deadline``; then, in any case, kill its whole group."""
    timed_out = False
    status = 0
    pidfd = -1
    with contextlib.suppress(AttributeError, OSError):
        pidfd = os.pidfd_open(pid)  # type: ignore[attr-defined,unused-ignore]
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
                break
            if pidfd >= 0:
                select.select([pidfd], [], [], remaining)
            else:
                time.sleep(min(_POLL, remaining))
    finally:
        if pidfd >= 0:
            os.close(pidfd)
        # Whatever the tests started in the child's group ends with the run.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    return timed_out, status


def _loaded_outside(server: Server, before: set[str]) -> list[str]:
    """Modules this session loaded from outside the project, for the server to warm.

    Not those of a package that pytest rewrote (a plugin's): imported plainly in the
    server, pytest would warn in every later session that it cannot rewrite them.
    """
    rewritten = {name.partition(".")[0] for name, mod in list(sys.modules.items())
                 if type(getattr(mod, "__loader__", None)).__name__ == "AssertionRewritingHook"}
    return sorted(m for m in set(sys.modules) - before
                  if m.partition(".")[0] not in rewritten
                  and _module_file(sys.modules[m])
                  and not server.project.owns(_module_file(sys.modules[m])))


def _child(server: Server, req: dict[str, Any], parent: int) -> None:
    """In the forked child: one pytest session, exactly as a fresh process would run it."""
    code = 1
    try:
        os.setpgid(0, 0)
        die_with_parent(parent)
        limit_memory(server.mem_headroom)
        out = os.open(str(req["output"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        if "env" in req:  # exactly the environment a fresh process would get
            os.environ.clear()
            os.environ.update({str(k): str(v) for k, v in req["env"].items()})
        pinned = set(server.pinned)
        for name, path in server.project.modules().items():
            if path not in pinned:
                del sys.modules[name]
        if server.reuse_conftests():
            server.conftests_environ()
        before = set(sys.modules)
        import pytest

        as_fresh_pytest(list(req["args"]))
        code = int(pytest.main(list(req["args"])))
        sys.stdout.flush()
        sys.stderr.flush()
        if req.get("modules_out") and not server.warmed:
            Path(req["modules_out"]).write_text(json.dumps(_loaded_outside(server, before)))
    except BaseException:  # noqa: BLE001 - the forked child must never return into the
        code = 1           # server's loop: whatever it raised ends here, as exit code 1
    finally:
        os._exit(code)


def serve(requests: TextIO, answers: TextIO) -> int:
    """The request loop of one task's server, after :func:`warm_imports`; ends at EOF."""
    server = Server()
    answers.write(json.dumps({"started": True, "pid": os.getpid()}) + "\n")
    answers.flush()
    for line in requests:
        if not line.strip():
            continue
        req = json.loads(line)
        op = req.get("op")
        server.reap()
        if op == "attach":
            answer = server.attach(req)
        elif op == "run":
            answer = server.run(req)
        elif op == "validator":
            answer = server.validator(req, (requests.fileno(), answers.fileno()))
        else:
            answer = {"error": f"unknown op {op!r}"}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()
        if op == "run" and answer.get("modules"):
            server.warm_modules(answer["modules"])
    # The client closed our stdin: it is done with this server.
    server.reap(all_of_them=True)
    return 0


# -- the zygote: one per harness process, forks the task servers -----------------


def _forked_server(fds: Sequence[int], zygote: int) -> None:
    """In a task server forked from the zygote: what ``python -m pytest_agent._serve``
    would do after its imports, on the pipes ``fds`` (requests, answers)."""
    code = 1
    try:
        # As ``start_new_session`` gives a fresh server: its own session and group.
        os.setsid()
        die_with_parent(zygote)
        requests = os.fdopen(fds[0], "r", encoding="utf-8")
        answers = os.fdopen(fds[1], "w", encoding="utf-8")
        code = serve(requests, answers)
    except BaseException:  # noqa: BLE001 - a forked server must never return into the
        code = 1           # zygote's loop: whatever it raised ends here
    finally:
        os._exit(code)


def _end(pid: int) -> None:
    """Kill a task server's group (if it still runs) and collect it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _zygote_message(sock: Any, servers: set[int], me: int, inherited: Sequence[Any]) -> bool:
    """Serve one message of the client on ``sock``; ``False`` at its EOF (or error).

    ``spawn`` forks a task server on the two pipes the message carries (``inherited``:
    the zygote's sockets, closed in it) and answers its pid; ``release`` (the client is
    done with that server) kills what is left of it and collects it, unanswered.
    """
    import socket

    try:
        data, fds, _, _ = socket.recv_fds(sock, 1 << 12, 2)
    except OSError:
        return False
    if not data:
        return False
    req = json.loads(data)
    answer: dict[str, Any] | None = None
    if req.get("op") == "spawn" and len(fds) == 2:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the task server; it answers on its pipes
            for held in inherited:
                held.close()
            _forked_server(fds, me)
        servers.add(pid)
        answer = {"pid": pid}
    elif req.get("op") == "release" and int(req.get("pid", 0)) in servers:
        servers.discard(int(req["pid"]))
        _end(int(req["pid"]))
    elif req.get("op") == "spawn":
        answer = {"error": "spawn needs two file descriptors"}
    for received in fds:
        os.close(received)
    if answer is not None:
        try:
            sock.send(json.dumps(answer).encode())
        except OSError:
            return False
    return True


def zygote(fd: int, listen_fd: int = -1) -> int:
    """Fork task servers for the harness: import pytest and the plugins once
    (:func:`warm_imports`), then serve ``spawn`` and ``release`` messages
    (:func:`_zygote_message`) on Unix ``SOCK_SEQPACKET`` sockets: ``fd``, the lifeline
    to the process that started it, and, with ``listen_fd`` (an xdist controller's
    zygote), every connection accepted there (the workers).

    A server's pid stays ours until its client releases it, so the client's kill by pid
    cannot hit a reused pid. A client's EOF (it closed, or died, ``kill -9`` too) kills
    and collects the servers it left; the lifeline's EOF ends the zygote, with every
    server left, so that their CPU time is accounted to this process and, once the
    harness collects it, to the harness.
    """
    import socket

    lifeline = socket.socket(fileno=fd)
    listener = socket.socket(fileno=listen_fd) if listen_fd >= 0 else None
    warm_imports(stack_caches=False)
    # Shared by every task server: their collections need not scan it.
    gc.freeze()
    me = os.getpid()
    clients: dict[Any, set[int]] = {lifeline: set()}
    warmed = False
    while lifeline in clients:
        waiting = [*clients, *([listener] if listener is not None else [])]
        if not warmed and not select.select(waiting, [], [], 0)[0]:
            # Not before the servers already asked for (a task waits for each): now
            # that no message waits.
            warm_stack_caches()
            gc.freeze()
            warmed = True
        for sock in select.select(waiting, [], [])[0]:
            if sock is listener:
                with contextlib.suppress(OSError):
                    clients[listener.accept()[0]] = set()
            elif not _zygote_message(sock, clients[sock], me, waiting):
                for pid in clients.pop(sock):
                    _end(pid)
                sock.close()
    for servers in clients.values():
        for pid in servers:
            _end(pid)
    return 0


def main() -> int:
    sys.dont_write_bytecode = True
    if sys.argv[1:2] == ["--zygote"]:
        return zygote(*map(int, sys.argv[2:4]))
    # Our protocol owns the real stdin and stdout: private copies of both, since
    # parsing a config captures fds 0-2 for a while.
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    os.dup2(2, 1)
    warm_imports()
    return serve(requests, answers)


if __name__ == "__main__":
    raise SystemExit(main())
