"""The state of one agent run: settings, plans, selection, write-back and the summary.

Registered by :mod:`pytest_agent.plugin` only when an agent option is given
(pytest's ``stepwise`` pattern). Plan write-back happens in the report hooks,
which run in the controlling process (under xdist: on the controller, from the
workers' reports; never on two workers at once).

Under pytest-xdist (issue #8) a task must not start before the tasks it depends
on have finished, and a worker only knows the outcomes of the tasks it ran
itself. So the tasks of one dependency-connected component get one
``xdist_group`` and xdist distributes with ``--dist loadgroup``: a group runs on
one worker, in collection order, which is dependency order. The default
``--dist load`` (what ``-n`` gives) is switched to ``loadgroup``; since workers
parse the command line themselves, the controller tells them through
``workerinput``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import final

import pytest

from pytest_agent._face import INI_SETTINGS
from pytest_agent._face import is_xdist_worker
from pytest_agent._face import task_id_of
from pytest_agent.plan import LoadedTask
from pytest_agent.plan import PlanError
from pytest_agent.plan import Status
from pytest_agent.plan import dependency_order
from pytest_agent.plan import find_plan_files
from pytest_agent.plan import load_plans
from pytest_agent.settings import AgentSettings
from pytest_agent.settings import SettingsError
from pytest_agent.settings import load_settings
from pytest_agent.steps.propose import EnginePlugin
from pytest_agent.steps.propose import engine_plugin
from pytest_agent.workspace import WorkspaceError
from pytest_agent.workspace import WorkspaceManager
from pytest_agent.workspace import find_repo_root
from pytest_agent.writeback import format_timestamp
from pytest_agent.writeback import update_task_fields

__all__ = ["AgentSession", "TaskRow", "dependency_groups"]


@final
@dataclass(frozen=True)
class TaskRow:
    """One line of the terminal summary, rebuilt from a report's user_properties."""

    task_id: str
    status: str
    attempts: int
    branch: str
    duration: float
    tokens: int
    cost: float | None
    error: str


#: Worker input key: the controller switched ``--dist`` to ``loadgroup``.
_LOADGROUP_KEY = "agent_loadgroup"
#: ``--dist`` modes that may run a dependent task on another worker than its dependency.
_UNGROUPED_DIST = ("load", "worksteal")


def dependency_groups(tasks: Sequence[LoadedTask]) -> dict[str, str]:
    """Task id -> group name, for tasks in a dependency-connected component of two or more.

    The name is ``agent-<id of the component's first task in plan order>``, so it is
    the same in every process that loads the same plans.
    """
    index = {t.id: i for i, t in enumerate(tasks)}
    parent = {t.id: t.id for t in tasks}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for t in tasks:
        for dep in t.spec.depends_on:
            if dep in parent:
                a, b = sorted((find(t.id), find(dep)), key=index.__getitem__)
                parent[b] = a  # the root stays the earliest task in plan order
    members: dict[str, list[str]] = {}
    for t in tasks:
        members.setdefault(find(t.id), []).append(t.id)
    return {tid: f"agent-{root}" for root, group in members.items() if len(group) > 1
            for tid in group}


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

    # -- construction (all input checked before anything is touched) ----------

    @classmethod
    def from_config(cls, config: pytest.Config) -> AgentSession:
        rootpath = config.rootpath
        ini = {name: config.getini(f"agent_{name}") for name in INI_SETTINGS}
        cli: dict[str, Any] = {
            "plan_path": config.getoption("agent_plan"),
            "engine": config.getoption("agent_engine"),
            "replace_branch": config.getoption("agent_replace_branch"),
        }
        try:
            settings = load_settings(
                ini={k: v for k, v in ini.items() if v not in (None, "")},
                agent_yml=rootpath / ".agent.yml",
                cli=cli,
            )
        except SettingsError as exc:
            raise pytest.UsageError(f"pytest-agent: {exc}") from None
        engine = engine_plugin(settings.resolved_engine)
        problem = engine.check_config(settings)
        if problem:
            raise pytest.UsageError(f"pytest-agent: {problem}")
        try:
            repo_root = find_repo_root(rootpath, timeout=settings.git_timeout)
        except WorkspaceError as exc:
            raise pytest.UsageError(f"pytest-agent: {exc}") from None
        from_failures = bool(config.getoption("agent_from_failures", False))
        if config.getoption("agent_save_plan", None) and not from_failures:
            raise pytest.UsageError(
                "pytest-agent: --agent-save-plan writes the plan made by --agent-from-failures; "
                "add --agent-from-failures [tests...]"
            )
        run_ids: list[str] = list(config.getoption("agent_run") or [])
        if from_failures:
            if run_ids or config.getoption("agent_all", False):
                raise pytest.UsageError(
                    "pytest-agent: --agent-from-failures makes its own tasks; it cannot be "
                    "combined with --agent-run or --agent-all (save the plan with "
                    "--agent-save-plan PATH, then run it with --agent-plan PATH --agent-all)"
                )
            plan_files = [_failures_plan(config, settings)]
        else:
            plan_files = find_plan_files(rootpath, settings.plan_path)
        try:
            tasks = load_plans(plan_files)
        except PlanError as exc:
            raise pytest.UsageError(f"pytest-agent: invalid plan\n{exc}") from None
        selected: list[str] | None = None
        if run_ids:
            known = {t.id for t in tasks}
            unknown = [i for i in run_ids if i not in known]
            if unknown:
                where = ", ".join(str(p) for p in plan_files) or f"{rootpath / settings.plan_path}"
                raise pytest.UsageError(
                    f"pytest-agent: unknown task id(s) {', '.join(unknown)} for --agent-run; "
                    f"known ids: {', '.join(sorted(known)) or '(none)'} (plans: {where})"
                )
            selected = list(dict.fromkeys(run_ids))
        elif not plan_files:
            raise pytest.UsageError(
                f"pytest-agent: no plan files found at {rootpath / settings.plan_path} "
                "(create plans/*.yaml or pass --agent-plan PATH)"
            )
        _distribute_by_group(config)
        session = cls(config, settings, repo_root, tasks, plan_files, selected, engine)
        # Only the plan files are collected: the project's own test modules are not
        # imported in the outer run (they run inside the loop, in the workspace).
        config.args[:] = [str(p) for p in plan_files]
        return session

    # -- xdist: hand-down to workers, groups -----------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """Controller side: what workers must not work out for themselves."""
        node.workerinput[_LOADGROUP_KEY] = self.config.getoption("dist", None) == "loadgroup"
        if self.config.getoption("agent_from_failures", False):
            from pytest_agent.failures import WORKERINPUT_KEY

            # Workers load the controller's plan; they never rerun the failing tests.
            node.workerinput[WORKERINPUT_KEY] = str(self.plan_files[0])

    def pytest_itemcollected(self, item: pytest.Item) -> None:
        # Marked at collection, before xdist's worker appends ``@<group>`` to node ids
        # in its pytest_collection_modifyitems. Only on workers (only they collect
        # under xdist, and xdist registers the marker there: --strict-markers holds).
        if not is_xdist_worker(self.config):
            return
        task_id = task_id_of(item.nodeid)
        group = self.groups.get(task_id) if task_id is not None else None
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))

    @pytest.hookimpl(trylast=True, specname="pytest_collection_modifyitems")
    def pytest_collection_modifyitems_xdist_groups(self, items: list[pytest.Item]) -> None:
        """Worker side: make sure grouped node ids carry xdist's ``@<group>`` suffix.

        xdist's loadgroup scheduler reads the group from that suffix, which its worker
        writes into the private ``Node._nodeid``. pytest 9.2 builds ``nodeid`` from a
        structured id instead, so the write is lost and dependent tasks would land on
        other workers (pytest-xdist#1386). Runs after xdist's hook; a no-op where the
        suffix took effect.
        """
        if not is_xdist_worker(self.config) or not self.config.getvalue("loadgroup"):
            return
        for item in items:
            groups = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                             for m in item.iter_markers("xdist_group")})
            if groups and "@" not in item.nodeid:
                _set_nodeid(item, f"{item.nodeid}@{'_'.join(groups)}")

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

    # -- plan write-back (controller only) -------------------------------------

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        if is_xdist_worker(self.config):
            return
        task = self._task_of(nodeid)
        if task is not None:
            self._write(task, {"status": Status.IN_PROGRESS.value,
                               "updated_at": format_timestamp()})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        task = self._task_of(report.nodeid)
        if task is None or not _is_task_report(report):
            return
        props: dict[str, Any] = dict(report.user_properties)
        status = str(props.get("status", "failed" if report.failed else "pending"))
        self.outcomes[task.id] = report.outcome
        if is_xdist_worker(self.config):
            return
        fields: dict[str, Any] = {"status": status, "updated_at": format_timestamp()}
        if status == Status.PENDING.value or "attempts" not in props:
            # Skipped, or the item crashed before the loop reported: keep the counters.
            lines = report.longreprtext.strip().splitlines()
            error = str(props.get("last_error") or (lines[-1] if lines else ""))
            fields["last_error"] = error[:500] or None
        else:
            fields.update({
                "attempts": int(props.get("attempts", 0)),
                "branch": props.get("branch") or None,
                "commit": props.get("commit") or None,
                "last_error": (str(props.get("last_error"))[:500] or None)
                if props.get("last_error") else None,
                "tokens": int(props.get("tokens", 0)),
                "engine": props.get("engine") or None,
            })
            if props.get("cost") is not None:
                fields["cost"] = round(float(props["cost"]), 6)
        self._write(task, fields)
        self.rows.append(TaskRow(
            task_id=task.id, status=status, attempts=int(props.get("attempts", 0)),
            branch=str(props.get("branch") or "-"), duration=report.duration,
            tokens=int(props.get("tokens", 0)),
            cost=float(props["cost"]) if props.get("cost") is not None else None,
            error=str(props.get("last_error") or ""),
        ))
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

    def _write(self, task: LoadedTask, fields: dict[str, Any]) -> None:
        try:
            update_task_fields(task.plan_path, task.id, fields)
        except (PlanError, OSError) as exc:
            tr = self.config.pluginmanager.get_plugin("terminalreporter")
            if tr is not None:
                tr.write_line(f"pytest-agent: could not write back {task.id}: {exc}", red=True)

    # -- summary -------------------------------------------------------------

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.rows:
            return
        tr = terminalreporter
        tr.write_sep("=", "pytest-agent tasks")  # ensures a newline first; section() does not
        header = f"{'task':<16} {'status':<8} {'attempts':>8}  {'branch':<24} {'time':>7}  cost"
        tr.write_line(header)
        for row in self.rows:
            cost = f"${row.cost:.4f}" if row.cost is not None else "-"
            if row.tokens:
                cost += f" ({row.tokens} tok)"
            line = (f"{row.task_id:<16} {row.status:<8} {row.attempts:>8}  {row.branch:<24} "
                    f"{row.duration:>6.1f}s  {cost}")
            colour = {"done": "green", "failed": "red"}.get(row.status, "yellow")
            tr.write_line(line, **{colour: True})
            if row.error and row.status != "done":
                tr.write_line(f"    {row.error[:200]}")

    # -- helpers for items -----------------------------------------------------

    def plan_status(self, task_id: str) -> Status:
        return self.by_id[task_id].status

    def memory_dir(self) -> Path:
        return self.config.rootpath / self.settings.memory_dir

    def secrets(self) -> Sequence[str]:
        key = self.settings.api_key
        values = [key.get_secret_value()] if key is not None else []
        values.extend(v for k, v in os.environ.items()
                      if k in ("OPENAI_API_KEY", "AGENT_API_KEY") and v)
        return values


def _failures_plan(config: pytest.Config, settings: AgentSettings) -> Path:
    """The plan of ``--agent-from-failures``: made on the controller, reused by workers."""
    from pytest_agent import failures

    if is_xdist_worker(config):
        workerinput: dict[str, Any] = config.workerinput  # type: ignore[attr-defined]
        return Path(workerinput[failures.WORKERINPUT_KEY])
    try:
        return failures.plan_from_failures(config, test_timeout=settings.test_timeout)
    except failures.FromFailuresError as exc:
        raise pytest.UsageError(f"pytest-agent: {exc}") from None


def _set_nodeid(item: pytest.Item, nodeid: str) -> None:
    """Private pytest API either way (as in xdist); checked by tests/test_xdist.py."""
    if not hasattr(item, "_id"):  # pytest < 9.2: a plain string attribute
        item._nodeid = nodeid  # type: ignore[attr-defined,unused-ignore]
        return
    from _pytest import nodeid as pytest_nodeid  # type: ignore[attr-defined,unused-ignore]

    item._id = pytest_nodeid.coerce_node_id(nodeid)


def _distribute_by_group(config: pytest.Config) -> None:
    """Keep each dependency component on one xdist worker (see the module docstring)."""
    if is_xdist_worker(config):
        workerinput: dict[str, Any] = config.workerinput  # type: ignore[attr-defined]
        if workerinput.get(_LOADGROUP_KEY):
            # Read by xdist's worker when it names items (``nodeid@group``).
            config.option.loadgroup = True
    elif config.getoption("dist", None) in _UNGROUPED_DIST and \
            config.getoption("numprocesses", None):
        config.option.dist = "loadgroup"


def _is_task_report(report: pytest.TestReport) -> bool:
    return report.when == "call" or (report.when == "setup" and not report.passed)
