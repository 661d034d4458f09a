"""The pytest11 entry point: options, ini keys, hook specs, and activation.

Without an agent option this plugin does nothing but declare its options and
hooks: it imports no engine, no git, no YAML library (tested through
``sys.modules``), and collects nothing. With one, it registers an
:class:`~pytest_agent.session.AgentSession` that turns plan files into items.

PYTEST_DONT_REWRITE: the harness imports this module before the inner session
loads it as a plugin; without this marker pytest warns that it cannot rewrite it,
and a project with ``filterwarnings = error`` turns that warning into a crash.
"""

from __future__ import annotations

import gc

import pytest

from pytest_agent._face import INI_SETTINGS
from pytest_agent._face import agent_session_key

# INI_SETTINGS is re-exported: it is the list of this plugin's ini keys.
__all__ = ["INI_SETTINGS", "is_agent_run"]

#: Whether this run froze the garbage collector's view of the start-up heap.
_frozen_key: pytest.StashKey[bool] = pytest.StashKey()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("agent", "pytest-agent: test-driven repair of plan tasks")
    group.addoption(
        "--agent-run", action="append", dest="agent_run", default=[], metavar="ID",
        help="run the plan task ID (repeatable); only task items run",
    )
    group.addoption(
        "--agent-all", action="store_true", dest="agent_all", default=False,
        help="run every plan task that is not done, in dependency order",
    )
    group.addoption(
        "--agent-plan", dest="agent_plan", default=None, metavar="PATH",
        help="plan file or directory of plan files (default: plans/, setting plan_path)",
    )
    group.addoption(
        "--agent-engine", dest="agent_engine", default=None, choices=("auto", "offline", "llm"),
        help="proposal engine: llm (needs a key or base_url), offline, or auto (default)",
    )
    group.addoption(
        "--agent-replace-branch", action="store_true", dest="agent_replace_branch",
        default=None, help="replace an existing agent/<id> branch instead of refusing",
    )
    group.addoption(
        "--agent-from-failures", action="store_true", dest="agent_from_failures",
        default=False,
        help="run the given tests (default: pytest's last failed) and make a task of each "
             "failing test function; then run those tasks",
    )
    group.addoption(
        "--agent-save-plan", dest="agent_save_plan", default=None, metavar="PATH",
        help="with --agent-from-failures: write the generated tasks to this new plan file",
    )
    group.addoption(
        "--agent-report", dest="agent_report", default=None, metavar="PATH",
        help="write a self-contained HTML report of the tasks and their attempts to PATH",
    )
    for name in INI_SETTINGS:
        parser.addini(f"agent_{name}", f"pytest-agent setting {name} (see docs/settings.md)",
                      type="string", default=None)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_agent import hookspec

    pluginmanager.add_hookspecs(hookspec)


def is_agent_run(config: pytest.Config) -> bool:
    """Whether an option that selects plan tasks was given."""
    # --agent-save-plan alone activates too, so that the session can say what it lacks.
    return bool(config.getoption("agent_run", None) or config.getoption("agent_all", False)
                or config.getoption("agent_from_failures", False)
                or config.getoption("agent_save_plan", None))


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """An agent run loads the conftests of the plan files it collects, not the tests'.

    Without arguments pytest loads the conftests of the invocation directory (or of
    ``testpaths``) and of its ``test*`` subdirectories. The outer process of
    ``--agent-run``/``--agent-all`` runs no test: it collects the plan files, and the
    hooks its tasks call are those of the conftests on the plan's path (the root
    ``conftest.py`` among them; pytest scopes the others out). So the initial
    conftests are looked up from the plan path, as ``pytest plans/`` would: a
    ``tests/conftest.py`` that takes a second to import is imported by the inner runs
    that need it, not once more here. ``--agent-from-failures`` runs tests first, so
    it keeps pytest's choice.
    """
    namespace = early_config.known_args_namespace
    # Registered before pytest's unraisable-exception check registers its own cleanup
    # (in its pytest_configure), so it runs after that check's collections (see
    # pytest_configure below).
    early_config.add_cleanup(lambda: _unfreeze(early_config))
    if not (getattr(namespace, "agent_run", None) or getattr(namespace, "agent_all", False)):
        return
    if getattr(namespace, "agent_from_failures", False):
        return
    from pytest_agent._spare import start_spare

    # First: the first task's warm server starts while this process imports and
    # configures the session (_spare.py).
    start_spare(early_config)
    from pytest_agent.session._options import early_settings
    from pytest_agent.session._options import plan_anchor

    settings = early_settings(early_config)
    if settings is None:
        return
    from pytest_agent._spare import settle_spare

    settle_spare(early_config, settings)  # .agent.yml may turn the server off
    anchor = plan_anchor(early_config, settings)
    if anchor is not None:
        namespace.file_or_dir = [str(anchor)]


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "agent_task: a plan task collected by pytest-agent")
    if not is_agent_run(config):
        return
    from pytest_agent.session import AgentSession
    from pytest_agent.steps import register_default_steps

    session = AgentSession.from_config(config)
    config.stash[agent_session_key] = session
    config.pluginmanager.register(session, "agent-session")
    register_default_steps(config.pluginmanager, workspaces=session.workspaces,
                           engine=session.engine)
    from pytest_agent.progress import ProgressReporter
    from pytest_agent.report import ReportPlugin

    ReportPlugin.register(config)
    ProgressReporter.register(config, secrets=session.secrets)
    # What is alive now is pytest, its plugins, ours and their imports (pydantic, ruamel,
    # ...): ~40 000 objects. Freezing them keeps the cyclic collector off them during the
    # run: pytest's unraisable-exception check runs gc.collect() five times at the end of
    # a session, ~50 ms each over that heap, ~2 ms after this. They are unfrozen after
    # that check (a process that runs sessions in-process, as pytester does, gets its
    # cycles collected as before); a process that froze objects itself is left alone.
    if gc.get_freeze_count() == 0:
        gc.freeze()
        config.stash[_frozen_key] = True


def _unfreeze(config: pytest.Config) -> None:
    if config.stash.get(_frozen_key, False):
        del config.stash[_frozen_key]
        gc.unfreeze()


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(agent_session_key, None)
    if session is not None:
        from pytest_agent.steps import unregister_default_steps

        unregister_default_steps(config.pluginmanager)
        for name in ("agent-report", "agent-progress"):
            if config.pluginmanager.has_plugin(name):
                config.pluginmanager.unregister(name=name)
        config.pluginmanager.unregister(session)
        del config.stash[agent_session_key]
