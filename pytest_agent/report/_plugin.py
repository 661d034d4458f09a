"""The report plugin: records travel with the reports; pages are written on the controller."""

from __future__ import annotations

import os
from collections.abc import Callable
from collections.abc import Generator
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from pytest_agent._atomic import write_atomic
from pytest_agent._face import agent_session_key
from pytest_agent._face import is_xdist_worker
from pytest_agent._face import task_id_of
from pytest_agent._face import task_result_key
from pytest_agent.report._html import render_html
from pytest_agent.report._markdown import append_step_summary
from pytest_agent.report._markdown import render_markdown
from pytest_agent.report._records import REPORT_ATTR
from pytest_agent.report._records import TaskRecord
from pytest_agent.report._records import record_from_report
from pytest_agent.report._records import record_from_result

__all__ = ["ReportPlugin"]

#: The environment variable GitHub Actions sets to the job summary file of a step.
STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


class ReportPlugin:
    """Registered as ``agent-report`` for every agent run, on the controller and on workers.

    Where a task runs, :meth:`pytest_runtest_makereport` puts its record on the
    report. On the controller (or the only process), the task reports are collected
    and, at session end, the HTML page (``--agent-report``) and the GitHub job
    summary (``$GITHUB_STEP_SUMMARY``) are written from them: once, never from a
    worker (pytest's ``junitxml`` does the same, #10641).
    """

    name = "agent-report"

    def __init__(
        self,
        config: pytest.Config,
        *,
        html_path: Path | None,
        secrets: Callable[[], Sequence[str]],
        describe: Callable[[str], tuple[str, str]],
        task_of: Callable[[str], str | None],
    ) -> None:
        self.config = config
        self.html_path = html_path
        self._secrets = secrets
        #: ``task id -> (description, plan path)`` for tasks that have no record.
        self._describe = describe
        #: ``node id -> task id`` (``None`` for anything that is not a task).
        self._task_of = task_of
        self.records: dict[str, TaskRecord] = {}
        self.written: list[str] = []
        self.errors: list[str] = []

    @classmethod
    def register(cls, config: pytest.Config) -> ReportPlugin:
        """Build the plugin from the run's agent session and register it."""
        session = config.stash[agent_session_key]
        option = config.getoption("agent_report", None)
        html_path = Path(config.invocation_params.dir, option) if option else None
        rootpath = config.rootpath

        def describe(task_id: str) -> tuple[str, str]:
            loaded = session.by_id.get(task_id)
            if loaded is None:
                return "", ""
            plan = loaded.plan_path
            rel = plan.relative_to(rootpath) if plan.is_relative_to(rootpath) else plan
            return loaded.spec.description, rel.as_posix()

        def task_of(nodeid: str) -> str | None:
            task_id = task_id_of(nodeid)
            return task_id if task_id in session.by_id else None

        plugin = cls(config, html_path=html_path, secrets=session.secrets, describe=describe,
                     task_of=task_of)
        config.pluginmanager.register(plugin, cls.name)
        return plugin

    # -- where the task ran ------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        result = item.stash.get(task_result_key, None)
        if result is not None and call.when == "call":
            _, plan = self._describe(result.task.id)
            record = record_from_result(
                result, duration=report.duration, plan=plan, secrets=self._secrets()
            )
            setattr(report, REPORT_ATTR, record.to_json())
        return report

    # -- on the controller -------------------------------------------------------

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if is_xdist_worker(self.config):
            return
        if not (report.when == "call" or (report.when == "setup" and not report.passed)):
            return
        task_id = self._task_of(report.nodeid)
        if task_id is None:
            return
        description, plan = self._describe(task_id)
        self.records[task_id] = record_from_report(
            report, task_id, description=description, plan=plan, secrets=self._secrets()
        )

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if is_xdist_worker(self.config):
            return
        records = list(self.records.values())
        if self.html_path is not None:
            self._write_html(self.html_path, records)
        summary = os.environ.get(STEP_SUMMARY_ENV)
        if summary and records:
            try:
                append_step_summary(Path(summary), render_markdown(records))
            except OSError as exc:
                self.errors.append(f"could not append to ${STEP_SUMMARY_ENV} ({summary}): {exc}")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        for path in self.written:
            terminalreporter.write_sep("-", f"pytest-agent report: {path}")
        for error in self.errors:
            terminalreporter.write_line(f"pytest-agent: {error}", yellow=True)

    def _write_html(self, path: Path, records: list[TaskRecord]) -> None:
        text = render_html(records)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # A reader (or a CI artifact upload) never sees half a page; a report is
            # meant to be read (0644).
            write_atomic(path, text, mode=0o644)
        except OSError as exc:
            self.errors.append(f"could not write the HTML report {path}: {exc}")
            return
        self.written.append(str(path))
