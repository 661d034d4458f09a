"""Plan write-back from the task items' reports (on the controller only).

A task's outcome arrives as a ``TestReport`` whose ``user_properties`` the item
set (:class:`~pytest_agent.item.TaskItem`); here it becomes the harness-owned
fields of the task in its plan file (:func:`pytest_agent.writeback.update_task_fields`).
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_agent._face import TaskProperties
from pytest_agent.plan import LoadedTask
from pytest_agent.plan import PlanError
from pytest_agent.plan import Status
from pytest_agent.writeback import format_timestamp
from pytest_agent.writeback import update_task_fields

__all__ = ["fields_from_report", "in_progress_fields", "is_task_report", "write_fields"]


def is_task_report(report: pytest.TestReport) -> bool:
    """The report that carries a task's outcome (its call, or a failed or skipped setup)."""
    return report.when == "call" or (report.when == "setup" and not report.passed)


def in_progress_fields() -> dict[str, Any]:
    """What a task's plan entry says while the task runs."""
    return {"status": Status.IN_PROGRESS.value, "updated_at": format_timestamp()}


def fields_from_report(
    report: pytest.TestReport, props: TaskProperties, status: str
) -> dict[str, Any]:
    """The plan fields a finished task's report gives (``props``: its user_properties)."""
    fields: dict[str, Any] = {"status": status, "updated_at": format_timestamp()}
    if status == Status.PENDING.value or "attempts" not in props:
        # Skipped, or the item crashed before the loop reported: keep the counters.
        lines = report.longreprtext.strip().splitlines()
        error = str(props.get("last_error") or (lines[-1] if lines else ""))
        fields["last_error"] = error[:500] or None
        return fields
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
    if props.get("review"):
        # Only when there is one: a plain repair's plan gains no empty field.
        fields["review"] = str(props["review"])[:500]
    return fields


def write_fields(config: pytest.Config, task: LoadedTask, fields: dict[str, Any]) -> None:
    """Write ``fields`` into ``task``'s plan file; a failure is shown, not raised."""
    try:
        update_task_fields(task.plan_path, task.id, fields)
    except (PlanError, OSError) as exc:
        tr = config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            tr.write_line(f"pytest-agent: could not write back {task.id}: {exc}", red=True)
