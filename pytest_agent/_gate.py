"""A fresh pytest process started early, that waits before collecting (the proof's process).

The final verify of a task is a fresh ``python -m pytest`` process. Most of such a
process's time, on a real project, goes to importing pytest, the plugins and the
conftests, none of which depends on the change being verified. So the harness starts
that process while the task's worktree is still at its base commit, with
``-p pytest_agent._gate``: it parses its options, loads its plugins and its initial
conftests as any pytest process does, then, at the end of ``pytest_configure``, reports
the project files it has read so far and waits. When verify runs, the harness checks
that none of those files has changed (otherwise the process is discarded and a new one
started), and sends the arguments of the run; the process sets them, collects (every
test module and all project code is imported now, after the change) and runs.

The gate is two inherited file descriptors named in :data:`GATE_ENV`
(``"<go fd>,<ready fd>"``): the process writes one JSON line to the ready fd (the
files it read) and reads one JSON line from the go fd (``{"args": [...],
"limits": "..."}``); end of file instead means "not needed": it exits at once.

PYTEST_DONT_REWRITE: the harness imports this module before the inner session
loads it as a plugin; without this marker pytest warns that it cannot rewrite it,
and a project with ``filterwarnings = error`` turns that warning into a crash.
"""

from __future__ import annotations

import json
import os
import sys

import pytest

__all__ = ["GATE_ENV", "PLUGIN"]

PLUGIN = "pytest_agent._gate"
GATE_ENV = "PYTEST_AGENT_GATE"


def _files_read(config: pytest.Config) -> list[str]:
    """The files of the project this process has read: modules under the rootdir, the ini."""
    root = str(config.rootpath) + os.sep
    files = {os.path.abspath(f) for m in list(sys.modules.values())
             if isinstance(f := getattr(m, "__file__", None), str)}
    found = sorted(f for f in files if f.startswith(root) and "site-packages" not in f)
    if config.inipath is not None:
        found.append(str(config.inipath))
    return found


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    spec = os.environ.pop(GATE_ENV, "")
    if not spec:
        return
    go_fd, ready_fd = (int(x) for x in spec.split(","))
    with os.fdopen(ready_fd, "w", encoding="utf-8") as ready:
        ready.write(json.dumps({"files": _files_read(config)}) + "\n")
    with os.fdopen(go_fd, "r", encoding="utf-8") as go:
        line = go.readline()
    if not line.strip():
        os._exit(0)  # not needed after all: nothing was run, nothing to report
    request = json.loads(line)
    config.args[:] = list(request["args"])
    limits = request.get("limits")
    if limits:
        from pytest_agent._timeout import set_limits

        set_limits(config, limits)
