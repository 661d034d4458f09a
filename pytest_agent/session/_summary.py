"""The terminal summary of an agent run: one line per task that ran."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from typing import final

from pytest_agent._face import TaskProperties

__all__ = ["TaskRow", "row_from_props", "write_summary"]


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


def row_from_props(
    task_id: str, status: str, props: TaskProperties, duration: float
) -> TaskRow:
    """The summary line of a task whose report carried ``props`` (its user_properties)."""
    return TaskRow(
        task_id=task_id, status=status, attempts=int(props.get("attempts", 0)),
        branch=str(props.get("branch") or "-"), duration=duration,
        tokens=int(props.get("tokens", 0)),
        cost=float(props["cost"]) if props.get("cost") is not None else None,
        error=str(props.get("last_error") or ""),
    )


def write_summary(terminalreporter: Any, rows: Sequence[TaskRow]) -> None:
    """The ``pytest-agent tasks`` section: status, attempts, branch, time and cost per task."""
    if not rows:
        return
    tr = terminalreporter
    tr.write_sep("=", "pytest-agent tasks")  # ensures a newline first; section() does not
    header = f"{'task':<16} {'status':<8} {'attempts':>8}  {'branch':<24} {'time':>7}  cost"
    tr.write_line(header)
    for row in rows:
        cost = f"${row.cost:.4f}" if row.cost is not None else "-"
        if row.tokens:
            cost += f" ({row.tokens} tok)"
        line = (f"{row.task_id:<16} {row.status:<8} {row.attempts:>8}  {row.branch:<24} "
                f"{row.duration:>6.1f}s  {cost}")
        colour = {"done": "green", "failed": "red"}.get(row.status, "yellow")
        tr.write_line(line, **{colour: True})
        if row.error and row.status != "done":
            tr.write_line(f"    {row.error[:200]}")
