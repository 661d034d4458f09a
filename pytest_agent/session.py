"""The state of one agent run: settings, plans, selection, write-back and the summary.

Registered by :mod:`pytest_agent.plugin` only when an agent option is given
(pytest's ``stepwise`` pattern). Plan write-back happens in the report hooks,
which run in the controlling process (under xdist: on the controller, from the
workers' reports; never on two workers at once).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import final

import pytest

from pytest_agent.plan import LoadedTask
from pytest_agent.plan import PlanError
from pytest_agent.plan import Status
from pytest_agent.plan import dependency_order
from pytest_agent.plan import find_plan_files
from pytest_agent.plan import load_plans
from pytest_agent.plugin import INI_SETTINGS
from pytest_agent.settings import AgentSettings
from pytest_agent.settings import SettingsError
from pytest_agent.settings import load_settings
from pytest_agent.workspace import WorkspaceError
from pytest_agent.workspace import WorkspaceManager
from pytest_agent.workspace import find_repo_root
from pytest_agent.writeback import format_timestamp
from pytest_agent.writeback import update_task_fields

__all__ = ["AgentSession", "TaskRow"]


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


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


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
    ) -> None:
        self.config = config
        self.settings = settings
        self.repo_root = repo_root
        self.tasks = tasks
        self.by_id = {t.id: t for t in tasks}
        self.plan_files = plan_files
        #: ``None`` means every task that is not done (``--agent-all``).
        self.selected_ids = selected_ids
        self.workspaces = WorkspaceManager(repo_root, git_timeout=settings.git_timeout)
        #: Outcome of each task that ran in this process ("passed", "failed", "skipped").
        self.outcomes: dict[str, str] = {}
        self.rows: list[TaskRow] = []
        self.consecutive_failures = 0
        self.pytest_session: pytest.Session | None = None

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
        if settings.resolved_engine == "llm":
            _check_llm_config(settings)
        try:
            repo_root = find_repo_root(rootpath, timeout=settings.git_timeout)
        except WorkspaceError as exc:
            raise pytest.UsageError(f"pytest-agent: {exc}") from None
        plan_files = find_plan_files(rootpath, settings.plan_path)
        try:
            tasks = load_plans(plan_files)
        except PlanError as exc:
            raise pytest.UsageError(f"pytest-agent: invalid plan\n{exc}") from None
        run_ids: list[str] = list(config.getoption("agent_run") or [])
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
        elif not plan_files and not config.getoption("agent_from_failures", False):
            raise pytest.UsageError(
                f"pytest-agent: no plan files found at {rootpath / settings.plan_path} "
                "(create plans/*.yaml or pass --agent-plan PATH)"
            )
        session = cls(config, settings, repo_root, tasks, plan_files, selected)
        # Only the plan files are collected: the project's own test modules are not
        # imported in the outer run (they run inside the loop, in the workspace).
        config.args[:] = [str(p) for p in plan_files]
        return session

    # -- collection ----------------------------------------------------------

    def pytest_collect_file(
        self, file_path: Path, parent: pytest.Collector
    ) -> pytest.Collector | None:
        if file_path in self.plan_files:
            from pytest_agent.item import PlanFile

            plan_file: PlanFile = PlanFile.from_parent(parent, path=file_path)
            return plan_file
        return None

    @pytest.hookimpl(trylast=True)
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
        if _is_xdist_worker(self.config):
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
        if _is_xdist_worker(self.config):
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
            self.pytest_session.shouldstop = (
                f"pytest-agent: {self.consecutive_failures} tasks failed in a row "
                f"(consecutive_failure_threshold={limit}); stopping the run. "
                "Check the failures above before running again."
            )

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.pytest_session = session
        if not _is_xdist_worker(self.config):
            self.workspaces.cleanup_leftovers()

    def _task_of(self, nodeid: str) -> LoadedTask | None:
        if "::" not in nodeid:
            return None
        return self.by_id.get(nodeid.rsplit("::", 1)[1])

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
        tr.section("pytest-agent tasks")
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


def _is_task_report(report: pytest.TestReport) -> bool:
    return report.when == "call" or (report.when == "setup" and not report.passed)


def _check_llm_config(settings: AgentSettings) -> None:
    from pytest_agent.engines import llm

    message = llm.check_config(settings)
    if message:
        raise pytest.UsageError(f"pytest-agent: {message}")
