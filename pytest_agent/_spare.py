"""A warm test server started before it is needed: the spare of the first task.

A task's warm server (:class:`~pytest_agent._server.TestServer`) spends its first
~0.3 s of CPU importing pytest and the plugins, before it can import the task's
conftests. :meth:`TaskTests.open <pytest_agent._server.TaskTests.open>` starts it
when the task starts, so on a one-task run that start sat on the critical path, after
the outer process's own imports and configuration. The spare is started instead when
pytest loads the initial conftests of an agent run (before this process imports the
session, the plan, pydantic and ruamel): the two start-ups overlap on two cores, and
the first task that runs in this process takes the spare. When another task follows
in this process (pytest's ``nextitem``), the task that takes a spare starts the next
one, which warms up while this task runs. (A module of its own, outside ``session/``:
importing that package imports the plan and pydantic first.)

With the spare (unless a single ``--agent-run ID`` is all this process runs), this
process's zygote starts (``_server.Zygote``, Linux): it imports
pytest and the plugins once, and every task server of the run, the spares included, is
forked from it instead of starting an interpreter of its own. An xdist controller starts
no spare but the zygote, which its workers share (they connect to it; one import of
pytest for the whole run, done while the workers start).

Nothing else differs: a spare is the same server, started the same way (its
environment and working directory are replaced when it attaches). It is not started
where no task of this process would fork its runs: ``--collect-only``, the controller
of an xdist run (its workers run the tasks, each starting its own), ``test_server:
subprocess`` in the environment, in ``.agent.yml`` or in the ini file, no ``os.fork``.
The settings are not loaded yet (pydantic and ruamel take a while to import: the start
overlaps them), so ``.agent.yml`` is read for one plain line ``test_server: <value>``
only; once the settings are loaded, :func:`settle_spare` stops the spare and the zygote
if they refuse the server after all (the value written another way). A task whose
settings refuse the server stops the spare (:func:`take_spare`), as does the end of the
run for a spare no task took (a recovered or skipped task).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import pytest

if TYPE_CHECKING:
    from pytest_agent._server import TestServer
    from pytest_agent.settings import AgentSettings

__all__ = ["close_spare", "settle_spare", "start_next_spare", "start_spare", "take_spare"]

_spare_key: pytest.StashKey[TestServer] = pytest.StashKey()
#: Whether the run's cleanup stops a spare left over (registered once).
_cleanup_key: pytest.StashKey[bool] = pytest.StashKey()


def _runs_tasks_here(namespace: Any) -> bool:
    """Whether this process will run task items (from the options known before parsing)."""
    if getattr(namespace, "collectonly", False):
        return False
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return True  # a worker (xdist sets it before the worker's config exists)
    # An xdist controller (``-n N``, ``-n auto``) hands every item to its workers.
    workers = getattr(namespace, "numprocesses", None)
    return workers in (None, 0, "0")


def _test_server_guess(early_config: pytest.Config) -> str:
    """The ``test_server`` setting from the environment or the ini file, without loading
    the settings (pydantic, ruamel): a guess, since ``.agent.yml`` may say otherwise; the
    task decides with its settings (:func:`take_spare`)."""
    value = (os.environ.get("AGENT_TEST_SERVER") or _agent_yml_line(early_config.rootpath)
             or early_config.getini("agent_test_server"))
    return str(value or "auto")


#: ``test_server: subprocess`` (quoted or not, a comment after it) on a line of its own.
_TEST_SERVER_LINE = re.compile(
    r"""^test_server[ \t]*:[ \t]*(["']?)([A-Za-z]+)\1[ \t]*(?:#.*)?$""", re.MULTILINE)


def _agent_yml_line(root: Path) -> str:
    """``.agent.yml``'s ``test_server`` when a top-level line of its own says it (the
    usual way to write it), read without a YAML parser; ``""`` otherwise."""
    try:
        text = (root / ".agent.yml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    match = _TEST_SERVER_LINE.search(text)
    return match.group(2) if match else ""


def _xdist_controller(namespace: Any) -> bool:
    """Whether this process hands its task items to xdist workers."""
    if getattr(namespace, "collectonly", False) or os.environ.get("PYTEST_XDIST_WORKER"):
        return False
    return getattr(namespace, "numprocesses", None) not in (None, 0, "0")


def start_spare(early_config: pytest.Config) -> None:
    """Start the first task's server now, if a task will fork its runs in this process
    (and this process's zygote with it); in an xdist controller, only the zygote, which
    its workers share."""
    from pytest_agent._server import fork_available

    namespace = early_config.known_args_namespace
    if not fork_available(_test_server_guess(early_config)):
        return
    if _xdist_controller(namespace):
        _start_zygote(early_config, shared=True)
    elif _runs_tasks_here(namespace):
        if _may_run_several_tasks(namespace):
            _start_zygote(early_config)
        _start(early_config)


def settle_spare(config: pytest.Config, settings: AgentSettings) -> None:
    """With the run's settings loaded: stop what :func:`start_spare` started on its
    guess if the settings refuse the server (this process's spare and zygote; an xdist
    controller's zygote, before its workers start and would connect to it)."""
    from pytest_agent._server import fork_available
    from pytest_agent._server import stop_zygote

    if fork_available(settings.test_server):
        return
    close_spare(config)
    stop_zygote()


def _may_run_several_tasks(namespace: Any) -> bool:
    """Whether a zygote pays here: more than one task may run in this process (a single
    ``--agent-run ID`` needs one server, and a zygote beside it would cost a process)."""
    return bool(os.environ.get("PYTEST_XDIST_WORKER") or getattr(namespace, "agent_all", False)
                or len(getattr(namespace, "agent_run", None) or ()) > 1)


def _start_zygote(config: pytest.Config, *, shared: bool = False) -> None:
    """This process's zygote: every task server of the run is forked from it."""
    from pytest_agent._server import start_zygote
    from pytest_agent._server import stop_zygote

    start_zygote(shared=shared)
    config.add_cleanup(stop_zygote)


def start_next_spare(config: pytest.Config, settings: AgentSettings) -> None:
    """Start the next task's server while this task runs (its start-up then overlaps
    this task's work instead of following it); nothing if there is a spare already."""
    from pytest_agent._server import fork_available

    if config.stash.get(_spare_key, None) is None and fork_available(settings.test_server):
        _start(config)


def _start(config: pytest.Config) -> None:
    from pytest_agent._server import TestServer

    server = TestServer()
    server.start()
    config.stash[_spare_key] = server
    if not config.stash.get(_cleanup_key, False):
        config.stash[_cleanup_key] = True
        config.add_cleanup(lambda: close_spare(config))


def take_spare(config: pytest.Config, settings: AgentSettings | None = None
               ) -> TestServer | None:
    """The spare, once (``None`` when there is none or a task took it).

    With ``settings``: ``None`` too (and the spare is stopped) when they say that the
    task's runs do not fork (``test_server: subprocess`` in ``.agent.yml``).
    """
    server = config.stash.get(_spare_key, None)
    if server is None:
        return None
    del config.stash[_spare_key]
    if settings is not None:
        from pytest_agent._server import fork_available

        if not fork_available(settings.test_server):
            server.close()
            return None
    return server


def close_spare(config: pytest.Config) -> None:
    """Stop a spare that no task took."""
    server = take_spare(config)
    if server is not None:
        server.close()
