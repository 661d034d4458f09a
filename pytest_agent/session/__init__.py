"""The state of one agent run, and the pytest hooks that drive it.

Registered by :mod:`pytest_agent.plugin` only when an agent option is given
(pytest's ``stepwise`` pattern). The concerns live in their own modules:

* ``_options``: settings and option checks, the ``--agent-run`` selection;
* ``_from_failures``: the plan of ``--agent-from-failures`` (a pytest run);
* ``_xdist``: dependency groups on one worker, and the node-id suffix fix;
* ``_writeback``: plan write-back from the reports, in the controlling process
  (under xdist: on the controller, from the workers' reports; never on two
  workers at once);
* ``_summary``: the terminal summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from pytest_agent._face import is_xdist_worker
from pytest_agent._face import read_task_properties
from pytest_agent._face import task_id_of
from pytest_agent.plan import LoadedTask
from pytest_agent.plan import PlanError
from pytest_agent.plan import Status
from pytest_agent.plan import dependency_order
from pytest_agent.plan import find_plan_files
from pytest_agent.plan import load_plans
from pytest_agent.session import _from_failures
from pytest_agent.session import _options
from pytest_agent.session import _writeback
from pytest_agent.session import _xdist
from pytest_agent.session._summary import TaskRow
from pytest_agent.session._summary import row_from_props
from pytest_agent.session._summary import write_summary
from pytest_agent.session._xdist import dependency_groups
from pytest_agent.settings import AgentSettings
from pytest_agent.steps.propose import EnginePlugin
from pytest_agent.steps.propose import engine_plugin
from pytest_agent.workspace import WorkspaceError
from pytest_agent.workspace import WorkspaceManager
from pytest_agent.workspace import find_repo_root

__all__ = ["AgentSession", "TaskRow", "dependency_groups"]


class AgentSession:
    """Plugin object holding one run's state (registered as ``agent-session``)."""

    def __init__(
        self,
        config: pytest.Config,
        settings: AgentSettings,
        repo_root: Path,
        tasks: list[LoadedTask],
        plan_files: list[Path],
        selected_ids: list[str] | None,
        engine: EnginePlugin,
    ) -> None:
        self.config = config
        self.settings = settings
        self.repo_root = repo_root
        self.tasks = tasks
        self.by_id = {t.id: t for t in tasks}
        self.plan_files = plan_files
        #: ``None`` means every task that is not done (``--agent-all``).
        self.selected_ids = selected_ids
        #: The selected engine's plugin (registered with the default steps).
        self.engine = engine
        self.workspaces = WorkspaceManager(repo_root, git_timeout=settings.git_timeout)
        #: Outcome of each task that ran in this process ("passed", "failed", "skipped").
        self.outcomes: dict[str, str] = {}
        self.rows: list[TaskRow] = []
        self.consecutive_failures = 0
        self.pytest_session: pytest.Session | None = None
        #: xdist group of each task that shares a dependency component with others.
        self.groups = dependency_groups(tasks)
        #: The item that runs after the current one in this process (pytest's nextitem).
        self.next_item: pytest.Item | None = None

    # -- construction (all input checked before anything is touched) ----------

    @classmethod
    def from_config(cls, config: pytest.Config) -> AgentSession:
        rootpath = config.rootpath
        settings = _options.settings_from_config(config)
        engine = engine_plugin(settings.resolved_engine)
        problem = engine.check_config(settings)
        if problem:
            raise pytest.UsageError(f"pytest-agent: {problem}")
        try:
            repo_root = find_repo_root(rootpath, timeout=settings.git_timeout)
        except WorkspaceError as exc:
            raise pytest.UsageError(f"pytest-agent: {exc}") from None
        run_ids, from_failures = _options.check_options(config)
        if from_failures:
            plan_files = [_from_failures.failures_plan(config, settings)]
        else:
            plan_files = find_plan_files(rootpath, settings.plan_path)
        try:
            tasks = load_plans(plan_files)
        except PlanError as exc:
            raise pytest.UsageError(f"pytest-agent: invalid plan\n{exc}") from None
        selected = _options.selected_ids(run_ids, tasks, plan_files,
                                         rootpath / settings.plan_path)
        _xdist.distribute_by_group(config)
        session = cls(config, settings, repo_root, tasks, plan_files, selected, engine)
        # Only the plan files are collected: the project's own test modules are not
        # imported in the outer run (they run inside the loop, in the workspace).
        config.args[:] = [str(p) for p in plan_files]
        return session

    # -- xdist: hand-down to workers, groups -----------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """Controller side: what workers must not work out for themselves."""
        _xdist.configure_node(self.config, node)
        if self.config.getoption("agent_from_failures", False):
            _from_failures.hand_down(node, self.plan_files[0])

    def pytest_itemcollected(self, item: pytest.Item) -> None:
        _xdist.mark_group(self.config, item, self.groups)

    @pytest.hookimpl(trylast=True, specname="pytest_collection_modifyitems")
    def pytest_collection_modifyitems_xdist_groups(self, items: list[pytest.Item]) -> None:
        """Worker side: grouped node ids carry xdist's ``@<group>`` (``_xdist.suffix_groups``)."""
        _xdist.suffix_groups(self.config, items)

    # -- collection ----------------------------------------------------------

    def pytest_collect_file(
        self, file_path: Path, parent: pytest.Collector
    ) -> pytest.Collector | None:
        if file_path in self.plan_files:
            from pytest_agent.item import PlanFile

            plan_file: PlanFile = PlanFile.from_parent(parent, path=file_path)
            return plan_file
        return None

    # Not trylast: sharding plugins (pytest-split's impl is trylast) must split the
    # tasks that will run, in dependency order, not every task of the plans.
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        from pytest_agent.item import TaskItem

        selected: list[TaskItem] = []
        deselected: list[pytest.Item] = []
        for item in items:
            if isinstance(item, TaskItem) and self._wanted(item.loaded):
                selected.append(item)
            else:
                deselected.append(item)
        order = {t.id: i for i, t in enumerate(dependency_order([i.loaded for i in selected]))}
        selected.sort(key=lambda it: order[it.loaded.id])
        if deselected:
            config.hook.pytest_deselected(items=deselected)
        items[:] = selected

    def _wanted(self, task: LoadedTask) -> bool:
        if self.selected_ids is not None:
            return task.id in self.selected_ids
        return task.status is not Status.DONE

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        """Note what runs next here: a task item starts the next task's server early."""
        self.next_item = nextitem

    # -- plan write-back (controller only) -------------------------------------

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        if is_xdist_worker(self.config):
            return
        task = self._task_of(nodeid)
        if task is not None:
            _writeback.write_fields(self.config, task, _writeback.in_progress_fields())

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        task = self._task_of(report.nodeid)
        if task is None or not _writeback.is_task_report(report):
            return
        props = read_task_properties(report.user_properties)
        status = str(props.get("status", "failed" if report.failed else "pending"))
        self.outcomes[task.id] = report.outcome
        if is_xdist_worker(self.config):
            return
        _writeback.write_fields(self.config, task,
                                _writeback.fields_from_report(report, props, status))
        self.rows.append(row_from_props(task.id, status, props, report.duration))
        self._count_failure(status)

    def _count_failure(self, status: str) -> None:
        if status == Status.FAILED.value:
            self.consecutive_failures += 1
        elif status == Status.DONE.value:
            self.consecutive_failures = 0
        limit = self.settings.consecutive_failure_threshold
        if self.consecutive_failures >= limit and self.pytest_session is not None:
            message = (
                f"pytest-agent: {self.consecutive_failures} tasks failed in a row "
                f"(consecutive_failure_threshold={limit}); stopping the run. "
                "Check the failures above before running again."
            )
            self.pytest_session.shouldstop = message
            # Under xdist the controller's loop is DSession's, which watches its own flag.
            dsession = self.config.pluginmanager.get_plugin("dsession")
            if dsession is not None:
                dsession.shouldstop = message

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.pytest_session = session
        if not is_xdist_worker(self.config):
            # One run per repository at a time (#15, runlock.py), held to the session's end.
            from pytest_agent.runlock import RunLock
            from pytest_agent.runlock import RunLockError

            run_lock = RunLock(self.workspaces.git_dir)
            try:
                run_lock.acquire()
            except RunLockError as exc:
                raise pytest.UsageError(f"pytest-agent: {exc}") from None
            self.config.add_cleanup(run_lock.release)
            self.workspaces.cleanup_leftovers()

    def _task_of(self, nodeid: str) -> LoadedTask | None:
        task_id = task_id_of(nodeid)
        return self.by_id.get(task_id) if task_id is not None else None

    # -- summary -------------------------------------------------------------

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        write_summary(terminalreporter, self.rows)

    # -- helpers for items -----------------------------------------------------

    def plan_status(self, task_id: str) -> Status:
        return self.by_id[task_id].status

    def memory_dir(self) -> Path:
        return self.config.rootpath / self.settings.memory_dir

    def secrets(self) -> Sequence[str]:
        return _options.secrets(self.settings)
