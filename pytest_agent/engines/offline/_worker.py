"""The fallback validation worker: a fresh interpreter in a private copy of the workspace.

Run as ``python -m pytest_agent.engines.offline._worker`` with its cwd in a private
copy of the workspace (the pool gives every worker its own copy, so parallel
candidates never write into the same tree, and never into the user's). Used where
the task's warm test server cannot fork validators (``test_server: subprocess``,
``PYTEST_AGENT_NO_FORK=1``, no ``os.fork``); otherwise validators are forks of the
server (see :mod:`pytest_agent._candidates`, which does the work in both cases).

Protocol: one JSON object per line. The first line on stdin configures the worker
(``{"root": ..., "mem_headroom": bytes, "mutable": [...]}``); the worker imports
pytest and the plugins a session loads, then answers ``{"ready": true}`` and serves
candidates (see :func:`pytest_agent._candidates.serve`), writing each candidate's
files into its copy and restoring them after.

Bytecode is never written (``sys.dont_write_bytecode``), and the copy has no
``__pycache__``: a stale ``.pyc`` of an earlier candidate cannot be loaded.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import tempfile
from pathlib import Path

from pytest_agent._candidates import Validator
from pytest_agent._candidates import serve

__all__ = ["main"]


def _warm_imports() -> None:
    """Import pytest, its built-in plugins and the plugins a run would load.

    Through the warm server's throwaway config, parsed in an empty temporary
    directory: plugins are then imported by pytest's assertion-rewriting hook, as a
    session imports them. Importing them directly would make every candidate's
    session warn that they were imported before it could rewrite them, and a
    project with ``filterwarnings = error`` turns that warning into a crash of
    every candidate run.
    """
    from pytest_agent._serve import warm_imports

    cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="pytest-agent-warm-") as empty:
        os.chdir(empty)
        try:
            warm_imports()
        finally:
            os.chdir(cwd)


def _forget_project(root: Path) -> None:
    """Forget the modules of the copy that pytest and the plugins imported (the project's
    own ``pygments``, say: pytest imports it at its start): candidates' sessions import
    them afresh, with the candidate's files, as a fresh ``python -m pytest`` would."""
    root = root.resolve()
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and Path(path).resolve().is_relative_to(root):
            del sys.modules[name]


def main() -> int:
    sys.dont_write_bytecode = True
    # Our protocol owns the real stdout; anything else printed goes to stderr.
    # Private copies of both pipe ends: a parsed config's capture plugin takes over
    # fds 0-2 (and sys.stdin) in this process.
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    os.dup2(2, 1)
    config = json.loads(requests.readline())
    validator = Validator(Path(config["root"]), int(config.get("mem_headroom", 0)),
                          list(config.get("mutable", ())), in_memory=False)
    _warm_imports()
    _forget_project(Path(config["root"]))
    # Everything imported so far is shared by every child: the children's garbage
    # collections need not scan it (and do not touch its copy-on-write pages).
    gc.freeze()
    serve(requests, answers, validator)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
