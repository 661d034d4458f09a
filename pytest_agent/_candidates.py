"""Candidate sessions: one forked pytest session per candidate change of the source.

The machinery of a *validator*, a warm process that serves candidates one at a time
(one JSON object per line; :func:`serve`). Two kinds of process run it:

- a fork of the task's warm test server (:mod:`pytest_agent._serve`, op ``validator``),
  in the task's worktree: it inherits pytest, the plugins and the conftests the
  server imported; a candidate's files are never written, each child sees them
  through an import hook (:class:`CandidateView`), so validators share the worktree
  safely;
- the fallback, a fresh ``python -m pytest_agent.engines.offline._worker`` in a private
  copy of the workspace, which writes each candidate's files into its copy and
  restores them after the candidate.

Per request ``{"files": {rel: text}, "args": [...], "timeout": s, "test_limits": ...}``
the validator forks a child (own process group, memory limit, killed with its parent)
that runs one pytest session with per-test timeouts (:mod:`pytest_agent._timeout`),
records its outcomes in memory (:mod:`pytest_agent._outcomes`) and writes them to a
pipe; the validator waits at most ``timeout`` seconds, then kills the child's whole
group in any case, and answers ``{"rc", "records", "timed_out", "crashed", "status",
"duration"}``. No module of the project survives from one candidate to the next: the
validator never keeps one that a candidate changes.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.machinery
import json
import linecache
import os
import select
import signal
import sys
import time
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path
from types import CodeType
from types import ModuleType
from typing import IO
from typing import Any

import pytest

from pytest_agent._compat import ensure_unconfigure
from pytest_agent._forkchild import as_fresh_pytest
from pytest_agent._forkchild import die_with_parent
from pytest_agent._forkchild import import_outside
from pytest_agent._forkchild import limit_memory
from pytest_agent._outcomes import MemorySink
from pytest_agent._outcomes import OutcomeRecorder
from pytest_agent._timeout import LIMITS_ENV
from pytest_agent._timeout import PLUGIN as TIMEOUT_PLUGIN

__all__ = ["CandidateView", "Validator", "serve"]

_CHUNK = 1 << 16


class _CandidateLoader(importlib.machinery.SourceFileLoader):
    """Loads a module from a candidate's text instead of its file (never from bytecode)."""

    def __init__(self, fullname: str, path: str, text: str) -> None:
        super().__init__(fullname, path)
        self.text = text

    def get_source(self, fullname: str) -> str:
        return self.text

    def get_code(self, fullname: str) -> CodeType:
        return compile(self.text, self.path, "exec", dont_inherit=True)


class CandidateView:
    """An import hook (``sys.meta_path``) that shows a child the candidate's files.

    A module whose file is one of ``files`` (absolute, resolved paths -> text) is
    compiled from the candidate's text; ``linecache`` gets the same text, so
    tracebacks, ``inspect.getsource`` and the hang evidence show the candidate's lines.
    The files on disk are untouched. Put first on ``sys.meta_path``, before pytest's
    assertion-rewriting hook: a file a candidate changes is never a test module (the
    engine edits no test file or conftest), and would otherwise load unrewritten.
    """

    def __init__(self, files: Mapping[str, str]) -> None:
        self.files = dict(files)
        self._names = {Path(p).parent.name if Path(p).name == "__init__.py" else Path(p).stem
                       for p in self.files}

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname.rpartition(".")[2] not in self._names:
            return None  # the cheap test first: this runs for every import of the session
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.origin is None:
            return None
        text = self.files.get(os.path.realpath(spec.origin))
        if text is None:
            return None
        spec.loader = _CandidateLoader(fullname, spec.origin, text)
        return spec

    def install(self) -> None:
        """First on ``sys.meta_path``, and the texts in ``linecache``."""
        self.front()
        for path, text in self.files.items():
            linecache.cache[path] = (len(text), None, text.splitlines(True), path)

    def front(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        sys.meta_path.insert(0, self)

    @pytest.hookimpl(tryfirst=True)
    def pytest_load_initial_conftests(self) -> None:
        # A session parsed in the child installs pytest's rewriting hook first on
        # ``sys.meta_path`` just before this hook: the view goes back in front of it.
        self.front()


def _recorder() -> tuple[OutcomeRecorder, MemorySink]:
    """A candidate session's outcome recorder; node ids in the form of the arguments
    (relative to the cwd)."""
    sink = MemorySink()
    return OutcomeRecorder(sink, relative_to=os.getcwd()), sink


def _session(args: list[str], prepared: _Prepared | None, view: CandidateView | None) -> Any:
    """One pytest session in the child: on the config parsed before the fork, or parsed
    here; the result record."""
    if view is not None:
        view.install()
    if prepared is not None:
        config, _, sink = prepared
        try:
            rc = config.hook.pytest_cmdline_main(config=config)
        finally:
            ensure_unconfigure(config)
    else:
        recorder, sink = _recorder()
        plugins: list[object] = [recorder] if view is None else [recorder, view]
        rc = pytest.main(args, plugins=plugins)
    return {"rc": int(rc), "records": sink.records}


def _child(args: list[str], prepared: _Prepared | None, view: CandidateView | None,
           mem_headroom: int, out_fd: int, parent: int) -> None:
    """In the forked child: limits, quiet output, one pytest session, result to ``out_fd``."""
    os.setpgid(0, 0)
    die_with_parent(parent)
    code = 1
    try:
        limit_memory(mem_headroom)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        as_fresh_pytest(args)
        data = (json.dumps(_session(args, prepared, view)) + "\n").encode()
        while data:
            data = data[os.write(out_fd, data):]
        code = 0
    except BaseException:  # noqa: BLE001 - the forked child must never return into the
        code = 1           # validator's loop: whatever it raised ends here as a crash
    finally:
        os._exit(code)


_Prepared = tuple[Any, OutcomeRecorder, MemorySink]


class _Configs:
    """Parsed pytest configs, one per argument list, made once in the validator.

    Parsing options, ini files and the initial conftests costs about half of a small
    session; a config parsed here is copied into every forked child, which only runs
    the session. Unsafe when parsing imports a file that candidates change (a conftest
    importing the module under repair): a forked probe checks that first, and such
    argument lists are parsed in each child instead.
    """

    def __init__(self, root: Path, mutable: set[str], *, probe: bool = True) -> None:
        self.root = root
        self.mutable = {str((root / m).resolve()) for m in mutable}
        self.probe = probe
        self._cache: dict[tuple[str, ...], _Prepared | None] = {}

    def get(self, args: list[str]) -> _Prepared | None:
        key = tuple(args)
        if key not in self._cache:
            # Parsed here once (the initial conftests are imported once per validator, not
            # again in a probe); unusable when parsing imported a file candidates change.
            before = set(sys.modules)
            prepared = self._prepare(args)
            new = set(sys.modules) - before
            if prepared is not None and self._imported_mutable(prepared[0], new):
                ensure_unconfigure(prepared[0])
                self._drop_project(new)
                prepared = None
            if self.probe:
                self._warm_modules(self._probe(args, prepared))
            self._cache[key] = prepared
        return self._cache[key]

    def _imported_mutable(self, config: Any, new: set[str]) -> bool:
        """Whether parsing imported a file candidates change: among the modules it added
        to ``sys.modules``, or among its conftests (all outside a package are named
        "conftest": only the last one stays in ``sys.modules``)."""
        from pytest_agent._compat import conftest_modules

        paths = {self._path(m) for m in new} | set(conftest_modules(config))
        return bool(paths & self.mutable)

    def _path(self, name: str) -> str:
        path = getattr(sys.modules.get(name), "__file__", None)
        return str(Path(path).resolve()) if isinstance(path, str) else ""

    def _outside(self, module: Any) -> bool:
        path = getattr(module, "__file__", None)
        if not path:
            return False
        resolved = Path(path).resolve()
        return not resolved.is_relative_to(self.root.resolve())

    def _drop_project(self, names: set[str]) -> None:
        """Forget the modules of the tree among ``names``: children import them afresh."""
        for name in names:
            module = sys.modules.get(name)
            if module is not None and getattr(module, "__file__", None) \
                    and not self._outside(module):
                del sys.modules[name]

    def _probe(self, args: list[str], prepared: _Prepared | None) -> list[str]:
        """In a forked child: run the session once on the original code.

        Answers which modules from outside the tree (stdlib, third-party: what the
        project and its tests import) the session loaded, for the validator to import once
        for all.
        """
        read_fd, write_fd = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the probe child
            os.close(read_fd)
            _probe_child(self, args, prepared, write_fd, parent)
        os.close(write_fd)
        chunks: list[bytes] = []
        deadline = time.monotonic() + 30.0
        try:
            while (remaining := deadline - time.monotonic()) > 0:
                ready, _, _ = select.select([read_fd], [], [], remaining)
                chunk = os.read(read_fd, _CHUNK) if ready else b""
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            os.close(read_fd)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        try:
            answer = json.loads(b"".join(chunks) or b"{}")
        except ValueError:
            answer = {}
        return list(answer.get("modules", ()))

    def _warm_modules(self, names: list[str]) -> None:
        """Import what the session imports from outside the tree, once, here.

        An import that pulls in a file of the tree is undone, so that every child
        imports the project's code afresh.
        """
        import_outside(names, lambda module: bool(getattr(module, "__file__", None))
                       and not self._outside(module))

    def _prepare(self, args: list[str]) -> _Prepared | None:
        from pytest_agent._compat import prepare_config

        recorder, sink = _recorder()
        try:
            config = prepare_config(args, [recorder])
        except (Exception, SystemExit):  # noqa: BLE001 - a usage error: each child reports it
            return None
        _prefill_rewrites(config, args, self.mutable)
        # Objects made so far never change: keep the children's collector off them.
        gc.freeze()
        return config, recorder, sink


def _probe_child(configs: _Configs, args: list[str], prepared: _Prepared | None,
                 write_fd: int, parent: int) -> None:
    """The probe's forked child: one session, then the outside modules it loaded."""
    answer: dict[str, Any] = {"modules": []}
    try:
        os.setpgid(0, 0)
        die_with_parent(parent)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        as_fresh_pytest(args)
        before = set(sys.modules)
        prepared = prepared or configs._prepare(args)
        if prepared is not None:
            config = prepared[0]
            try:
                config.hook.pytest_cmdline_main(config=config)
            finally:
                ensure_unconfigure(config)
        answer["modules"] = sorted(m for m in set(sys.modules) - before
                                   if configs._outside(sys.modules[m]))
    finally:
        data = json.dumps(answer).encode()
        with contextlib.suppress(OSError):
            while data:
                data = data[os.write(write_fd, data):]
        os._exit(0)


_REWRITTEN: dict[str, tuple[bytes, Any]] = {}


def _cached_rewrite(fn: Path) -> Any | None:
    """The rewrite of ``fn`` made before forking, if its bytes are still the same."""
    hit = _REWRITTEN.get(str(fn.resolve()))
    if hit is not None:
        with contextlib.suppress(OSError):
            if fn.read_bytes() == hit[0]:
                return hit[1]
    return None


def _prefill_rewrites(config: Any, args: list[str], mutable: set[str]) -> None:
    """Assertion-rewrite the test files once, here; children reuse the code objects.

    Keyed by path and checked against the file's bytes at import time, so a changed
    file is rewritten afresh; files that candidates change are never cached.
    """
    from pytest_agent._compat import CompatError
    from pytest_agent._compat import install_rewrite_cache

    try:
        original = install_rewrite_cache(_cached_rewrite)
    except CompatError:  # pragma: no cover - pytest without this assertion rewriter
        return
    for arg in args:
        path = Path(arg.split("::", 1)[0])
        if arg.startswith("-") or path.suffix != ".py" or not path.is_file():
            continue
        path = path.resolve()
        if str(path) in mutable or str(path) in _REWRITTEN:
            continue
        with contextlib.suppress(Exception):
            _REWRITTEN[str(path)] = (path.read_bytes(), original(path, config))




def _write(root: Path, files: Mapping[str, str]) -> dict[Path, bytes | None]:
    """Write a candidate's files into ``root`` (a private copy); the originals."""
    originals: dict[Path, bytes | None] = {}
    for rel, text in files.items():
        path = root / rel
        originals[path] = path.read_bytes() if path.exists() else None
        tmp = path.with_name(path.name + ".agent-tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    return originals


def _restore(originals: Mapping[Path, bytes | None]) -> None:
    for path, data in originals.items():
        if data is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(data)


def _read_until(fd: int, deadline: float) -> tuple[bytes, bool]:
    """Everything written to ``fd`` until its writer closes it; whether ``deadline`` came
    first."""
    chunks: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"".join(chunks), True
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, _CHUNK)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)


def _forked_session(args: list[str], prepared: _Prepared | None, view: CandidateView | None,
                    mem_headroom: int, deadline: float) -> tuple[bytes, bool, int]:
    """Fork the child of one candidate, read its result; kill its whole group in any case.

    :returns: What the child wrote, whether it timed out, its wait status.
    """
    read_fd, write_fd = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; reported through the pipe
        os.close(read_fd)
        _child(args, prepared, view, mem_headroom, write_fd, parent)
    os.close(write_fd)
    timed_out = False
    try:
        data, timed_out = _read_until(read_fd, deadline)
    finally:
        os.close(read_fd)
        if timed_out:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        # Whatever the test started in the child's group goes with it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    return data, timed_out, status


class Validator:
    """Runs candidates in ``root`` (see the module's docstring).

    :param mutable: The files candidates may change (root-relative).
    :param in_memory: Show each child the candidate's files through an import hook
        (the worktree is shared and never written); else write them into ``root``, a
        private copy, and restore them after the candidate.
    :param probe: Probe each new argument list's session for the outside modules to
        import once here; not needed when this process already imported those of a run
        of the same tests (a fork of the server after the baseline).
    """

    def __init__(self, root: Path, mem_headroom: int, mutable: Sequence[str], *,
                 in_memory: bool, probe: bool = True) -> None:
        self.root = root
        self.mem_headroom = mem_headroom
        self.in_memory = in_memory
        self.configs = _Configs(root, set(mutable), probe=probe)

    def run(self, req: Mapping[str, Any]) -> dict[str, Any]:
        # Every session stops a hanging test after its per-test limit (``test_limits``)
        # and, as every inner run (``_inner.INNER_ARGS``), keeps the tests' order and
        # seeds (no pytest-randomly).
        args = ["-p", TIMEOUT_PLUGIN, "-p", "no:randomly", *req["args"]]
        # Read when a session configures, in the probe and candidate children forked below.
        os.environ[LIMITS_ENV] = str(req.get("test_limits", ""))
        # Parsed before any candidate file is written: the config sees the original tree.
        prepared = self.configs.get(args) if req.get("prepare", True) else None
        # The candidate's timeout starts now: parsing and probing are not its cost.
        started = time.monotonic()
        files: Mapping[str, str] = req.get("files", {})
        view = None
        if self.in_memory and files:
            view = CandidateView({os.path.realpath(self.root / rel): text
                                  for rel, text in files.items()})
        originals = {} if self.in_memory else _write(self.root, files)
        try:
            data, timed_out, status = _forked_session(
                args, prepared, view, self.mem_headroom,
                started + float(req.get("timeout", 10.0)))
        finally:
            _restore(originals)
        result: dict[str, Any] = {"rc": -1, "records": []}
        crashed = False
        if not timed_out:
            try:
                result.update(json.loads(data.decode("utf-8", errors="replace").strip()))
            except ValueError:
                crashed = True  # killed by a signal, exhausted memory, or os._exit in a test
        result.update(timed_out=timed_out, crashed=crashed, status=status,
                      duration=time.monotonic() - started)
        return result


def serve(requests: IO[str], answers: IO[str], validator: Validator) -> None:
    """Answer ``ready``, then one answer per request line until ``requests`` ends."""
    answers.write(json.dumps({"ready": True}) + "\n")
    answers.flush()
    for line in requests:
        if not line.strip():
            continue
        try:
            answer = validator.run(json.loads(line))
        except Exception as exc:  # noqa: BLE001 - reported to the engine; keep serving
            answer = {"rc": -1, "records": [], "timed_out": False, "crashed": True,
                      "error": f"{type(exc).__name__}: {exc}", "duration": 0.0}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()
