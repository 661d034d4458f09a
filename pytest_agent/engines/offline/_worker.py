"""The warm validation worker: imports pytest once, then forks one child per candidate.

Run as ``python -m pytest_agent.engines.offline._worker`` with its cwd in a private
copy of the workspace (the pool gives every worker its own copy, so parallel
candidates never write into the same tree, and never into the user's).

Protocol: one JSON object per line. The first line on stdin configures the worker
(``{"root": ..., "mem_headroom": bytes}``); the worker answers ``{"ready": true}``.
Each further line is a request ``{"files": {rel: text}, "args": [...],
"timeout": s}``; the worker writes the files into its copy, forks a child that runs
``pytest.main(args)`` in a fresh process image (so no module of the project is ever
cached between candidates: the parent never imports project code), waits for it
at most ``timeout`` seconds (then kills its process group), restores the files and
answers ``{"rc", "records", "timed_out", "crashed", "duration"}`` (``records``: the
session's outcome records, see :mod:`pytest_agent._outcomes`).

Bytecode is never written (``sys.dont_write_bytecode``), and the copy has no
``__pycache__``: a stale ``.pyc`` of an earlier candidate cannot be loaded.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import signal
import sys
import time
from pathlib import Path
from typing import Any

from pytest_agent._compat import ensure_unconfigure
from pytest_agent._outcomes import MemorySink
from pytest_agent._outcomes import OutcomeRecorder
from pytest_agent._serve import die_with_parent
from pytest_agent._serve import import_outside
from pytest_agent._serve import limit_memory
from pytest_agent._timeout import LIMITS_ENV
from pytest_agent._timeout import PLUGIN as TIMEOUT_PLUGIN

__all__ = ["main"]

_CHUNK = 1 << 16


def _recorder() -> tuple[OutcomeRecorder, MemorySink]:
    """A candidate session's outcome recorder; node ids in the form of the arguments
    (relative to the cwd)."""
    sink = MemorySink()
    return OutcomeRecorder(sink, relative_to=os.getcwd()), sink


def _warm_imports() -> None:
    """Import pytest, its built-in plugins and the plugins a run would load.

    Through the warm server's throwaway config, parsed in an empty temporary
    directory: plugins are then imported by pytest's assertion-rewriting hook, as a
    session imports them. Importing them directly would make every candidate's
    session warn that they were imported before it could rewrite them, and a
    project with ``filterwarnings = error`` turns that warning into a crash of
    every candidate run.
    """
    import tempfile

    from pytest_agent._serve import warm_imports

    cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="pytest-agent-warm-") as empty:
        os.chdir(empty)
        try:
            warm_imports()
        finally:
            os.chdir(cwd)


def _child(args: list[str], prepared: _Prepared | None, mem_headroom: int, out_fd: int,
           parent: int) -> None:
    """In the forked child: limits, quiet output, one pytest session, result to ``out_fd``."""
    os.setpgid(0, 0)
    die_with_parent(parent)
    code = 1
    try:
        limit_memory(mem_headroom)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        if prepared is not None:
            config, _, sink = prepared
            try:
                rc = config.hook.pytest_cmdline_main(config=config)
            finally:
                ensure_unconfigure(config)
        else:
            import pytest

            recorder, sink = _recorder()
            rc = pytest.main(args, plugins=[recorder])
        result = {"rc": int(rc), "records": sink.records}
        data = (json.dumps(result) + "\n").encode()
        while data:
            data = data[os.write(out_fd, data):]
        code = 0
    except BaseException:  # noqa: BLE001 - the forked child must never return into the
        code = 1           # worker's loop: whatever it raised, it ends here as a crash
    finally:
        os._exit(code)


_Prepared = tuple[Any, OutcomeRecorder, MemorySink]


class _Configs:
    """Parsed pytest configs, one per argument list, made once in the worker.

    Parsing options, ini files and the initial conftests costs about half of a small
    session; a config parsed here is copied into every forked child, which only runs
    the session. Unsafe when parsing imports a file that candidates change (a conftest
    importing the module under repair): a forked probe checks that first, and such
    argument lists are parsed in each child instead.
    """

    def __init__(self, root: Path, mutable: set[str]) -> None:
        self.root = root
        self.mutable = {str((root / m).resolve()) for m in mutable}
        self._cache: dict[tuple[str, ...], _Prepared | None] = {}

    def get(self, args: list[str]) -> _Prepared | None:
        key = tuple(args)
        if key not in self._cache:
            # Parsed here once (the initial conftests are imported once per worker, not
            # again in a probe); unusable when parsing imported a file candidates change.
            before = set(sys.modules)
            prepared = self._prepare(args)
            new = set(sys.modules) - before
            if prepared is not None and any(self._path(m) in self.mutable for m in new):
                ensure_unconfigure(prepared[0])
                self._drop_project(new)
                prepared = None
            self._warm_modules(self._probe(args, prepared))
            self._cache[key] = prepared
        return self._cache[key]

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
        project and its tests import) the session loaded, for the worker to import once
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


def _run_candidate(req: dict[str, Any], root: Path, mem_headroom: int,
                   configs: _Configs) -> dict[str, Any]:
    originals: dict[Path, bytes | None] = {}
    # Every session stops a hanging test after its per-test limit (``test_limits``).
    args = ["-p", TIMEOUT_PLUGIN, *req["args"]]
    # Read when a session configures, in the probe and candidate children forked below.
    os.environ[LIMITS_ENV] = str(req.get("test_limits", ""))
    # Parsed before any candidate file is written: the config sees the original tree.
    prepared = configs.get(args) if req.get("prepare", True) else None
    # The candidate's timeout starts now: parsing and probing are not its cost.
    started = time.monotonic()
    try:
        for rel, text in req.get("files", {}).items():
            path = root / rel
            originals[path] = path.read_bytes() if path.exists() else None
            tmp = path.with_name(path.name + ".agent-tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
        read_fd, write_fd = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child; reported through the pipe
            os.close(read_fd)
            _child(args, prepared, mem_headroom, write_fd, parent)
        os.close(write_fd)
        deadline = started + float(req.get("timeout", 10.0))
        chunks: list[bytes] = []
        timed_out = False
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                ready, _, _ = select.select([read_fd], [], [], remaining)
                if not ready:
                    continue
                chunk = os.read(read_fd, _CHUNK)
                if not chunk:
                    break
                chunks.append(chunk)
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
    finally:
        for path, data in originals.items():
            if data is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(data)
    result: dict[str, Any] = {"rc": -1, "records": []}
    text = b"".join(chunks).decode("utf-8", errors="replace").strip()
    crashed = False
    if not timed_out:
        try:
            result.update(json.loads(text))
        except ValueError:
            crashed = True  # killed by a signal, exhausted memory, or os._exit in a test
    result.update(timed_out=timed_out, crashed=crashed, status=status,
                  duration=time.monotonic() - started)
    return result


def main() -> int:
    sys.dont_write_bytecode = True
    # Our protocol owns the real stdout; anything else printed goes to stderr.
    # Private copies of both pipe ends: a parsed config's capture plugin takes over
    # fds 0-2 (and sys.stdin) in this process.
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    os.dup2(2, 1)
    config = json.loads(requests.readline())
    root = Path(config["root"])
    mem_headroom = int(config.get("mem_headroom", 0))
    configs = _Configs(root, set(config.get("mutable", ())))
    _warm_imports()
    # Everything imported so far is shared by every child: the children's garbage
    # collections need not scan it (and do not touch its copy-on-write pages).
    gc.freeze()
    proto.write(json.dumps({"ready": True}) + "\n")
    proto.flush()
    for line in requests:
        if not line.strip():
            continue
        try:
            answer = _run_candidate(json.loads(line), root, mem_headroom, configs)
        except Exception as exc:  # noqa: BLE001 - report, keep serving
            answer = {"rc": -1, "records": [], "timed_out": False,
                      "crashed": True, "error": f"{type(exc).__name__}: {exc}", "duration": 0.0}
        proto.write(json.dumps(answer) + "\n")
        proto.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
