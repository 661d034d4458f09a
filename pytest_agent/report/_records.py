"""What a report shows of one task, as plain data that survives pytest-xdist.

A :class:`TaskRecord` is built where the task ran (an xdist worker, or the only
process) from its :class:`~pytest_agent.TaskResult`, turned into JSON, and put on
the item's ``TestReport`` as the attribute :data:`REPORT_ATTR`. pytest serializes
a report's extra attributes with the report (``_report_to_json`` copies
``__dict__``), so the controller gets the record with the report and writes the
pages there, once. Texts are redacted before they leave the worker and again on
the controller, with each side's secrets.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import final

import pytest

from pytest_agent._face import read_task_properties
from pytest_agent._face import task_result_key
from pytest_agent._types import AttemptRecord
from pytest_agent._types import TaskOutcome
from pytest_agent._types import TaskResult
from pytest_agent._types import Verdict
from pytest_agent.memory import redact

__all__ = [
    "REPORT_ATTR",
    "AttemptView",
    "TaskRecord",
    "record_from_report",
    "record_from_result",
    "task_result_key",
]

#: The ``TestReport`` attribute holding a task's record as JSON text. A string, so that
#: any report transport (xdist's execnet, pytest-reportlog's JSON) carries it unchanged.
REPORT_ATTR = "agent_record"

# Bounds on what one record carries: a report must stay readable and a worker's
# report message small, whatever an inner test run printed.
_MAX_OUTPUT_CHARS = 20_000
_MAX_TEXT_CHARS = 50_000
_MAX_LINT = 200


@final
@dataclass(frozen=True)
class AttemptView:
    """One attempt as the reports show it."""

    number: int
    duration: float
    engine: str = ""
    #: The proposer's notes (its reasoning).
    notes: str = ""
    #: The proposed change, as written (usually a unified diff).
    diff: str = ""
    #: Why the proposer stopped the task, when it did.
    stop_reason: str = ""
    #: ``True`` applied, ``False`` refused, ``None`` nothing to apply.
    applied: bool | None = None
    changed_files: tuple[str, ...] = ()
    refused_rule: str = ""
    refused_reason: str = ""
    #: ``None`` when verify did not run (nothing applied).
    passed: bool | None = None
    summary: str = ""
    #: ``(node id, outcome)`` of each accept test in the verify run.
    tests: tuple[tuple[str, str], ...] = ()
    #: The tail of the verify run's output.
    output: str = ""
    timed_out: bool = False
    lint: tuple[str, ...] = ()
    lint_output: str = ""
    reflexion: str = ""
    tokens: int = 0
    cost: float | None = None

    @property
    def failing(self) -> tuple[str, ...]:
        ok = {"passed", "skipped", "xfailed"}
        return tuple(nodeid for nodeid, outcome in self.tests if outcome not in ok)


@final
@dataclass(frozen=True)
class TaskRecord:
    """One task as the reports show it."""

    task_id: str
    #: ``done``, ``failed`` or ``skipped``.
    status: str
    description: str = ""
    plan: str = ""
    attempts: int = 0
    branch: str = ""
    commit: str = ""
    #: Seconds the item took (the pytest report's duration).
    duration: float = 0.0
    tokens: int = 0
    cost: float | None = None
    engine: str = ""
    #: Why it failed or was skipped (empty when done).
    error: str = ""
    history: tuple[AttemptView, ...] = field(default=())

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TaskRecord:
        data: dict[str, Any] = json.loads(text)
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TaskRecord:
        history = tuple(_attempt_from_dict(a) for a in data.get("history", ()))
        values = {k: v for k, v in data.items() if k in _TASK_FIELDS and k != "history"}
        return cls(**values, history=history)

    def redacted(self, secrets: Iterable[str]) -> TaskRecord:
        """This record with every secret (and anything shaped like an API key) removed."""
        values = tuple(secrets)
        return TaskRecord.from_dict(_redact_tree(asdict(self), values))


_TASK_FIELDS = frozenset(TaskRecord.__dataclass_fields__)
_ATTEMPT_FIELDS = frozenset(AttemptView.__dataclass_fields__)


def _attempt_from_dict(data: Mapping[str, Any]) -> AttemptView:
    values = {k: v for k, v in data.items() if k in _ATTEMPT_FIELDS}
    # JSON has no tuples: restore them so records compare equal after a round trip.
    values["changed_files"] = tuple(values.get("changed_files", ()))
    values["tests"] = tuple((str(n), str(o)) for n, o in values.get("tests", ()))
    values["lint"] = tuple(values.get("lint", ()))
    return AttemptView(**values)


def _redact_tree(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {k: _redact_tree(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_tree(v, secrets) for v in value]
    return value


def _tail(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"[... {len(text) - limit} characters cut ...]\n" + text[-limit:]


def _lint_failure(verdict: Verdict | None) -> str:
    """The raw lint output, only when it is the news: the command failed to run or parse.

    Otherwise the findings say it all (the raw text is the linter's JSON).
    """
    if verdict is None or verdict.passed or verdict.lint:
        return ""
    if verdict.tests is not None and not verdict.tests.passed:
        return ""
    return _tail(verdict.lint_output, _MAX_OUTPUT_CHARS)


def _attempt_view(record: AttemptRecord) -> AttemptView:
    proposal, applied, verdict = record.proposal, record.applied, record.verdict
    tests = verdict.tests if verdict is not None else None
    usage = proposal.usage if proposal is not None else None
    if record.critique is not None and usage is not None:
        usage = usage + record.critique.usage
    return AttemptView(
        number=record.number,
        duration=record.duration,
        engine=proposal.engine if proposal is not None else "",
        notes=_tail(proposal.notes, _MAX_TEXT_CHARS) if proposal is not None else "",
        diff=_tail(proposal.diff, _MAX_TEXT_CHARS) if proposal is not None else "",
        stop_reason=(proposal.stop_reason or "") if proposal is not None else "",
        applied=applied.ok if applied is not None else None,
        changed_files=applied.changed_files if applied is not None else (),
        refused_rule=(applied.rule or "") if applied is not None and not applied.ok else "",
        refused_reason=_tail(applied.reason, _MAX_OUTPUT_CHARS) if applied is not None else "",
        passed=verdict.passed if verdict is not None else None,
        summary=verdict.summary if verdict is not None else "",
        tests=tuple((n, o.value) for n, o in tests.outcomes.items()) if tests is not None else (),
        output=_tail(tests.output, _MAX_OUTPUT_CHARS) if tests is not None else "",
        timed_out=tests.timed_out if tests is not None else False,
        lint=tuple(str(f) for f in verdict.lint[:_MAX_LINT]) if verdict is not None else (),
        lint_output=_lint_failure(verdict),
        reflexion=_tail(record.critique.text, _MAX_TEXT_CHARS) if record.critique else "",
        tokens=usage.total_tokens if usage is not None else 0,
        cost=usage.cost_usd if usage is not None and usage.total_tokens else None,
    )


def record_from_result(
    result: TaskResult, *, duration: float = 0.0, plan: str = "", secrets: Iterable[str] = ()
) -> TaskRecord:
    """The record of a task that ran through the loop."""
    usage = result.usage
    record = TaskRecord(
        task_id=result.task.id,
        status="done" if result.outcome is TaskOutcome.DONE else "failed",
        description=result.task.description,
        plan=plan,
        attempts=len(result.attempts),
        branch=result.commit.branch if result.commit else "",
        commit=result.commit.sha if result.commit else "",
        duration=duration or result.duration,
        tokens=usage.total_tokens,
        cost=usage.cost_usd if usage.total_tokens else None,
        engine=result.engine,
        error=result.error,
        history=tuple(_attempt_view(a) for a in result.attempts),
    )
    return record.redacted(secrets)


def record_from_report(
    report: pytest.TestReport,
    task_id: str,
    *,
    description: str = "",
    plan: str = "",
    secrets: Iterable[str] = (),
) -> TaskRecord:
    """The record of a task's report: the worker's record, else what ``user_properties`` say.

    A task that never reached the loop (skipped for a dependency, a workspace error,
    a crash) has no record of its own; its report still says enough for a row.
    """
    text = getattr(report, REPORT_ATTR, None)
    if isinstance(text, str):
        record = TaskRecord.from_json(text)
        values = asdict(record)
        values.update(duration=report.duration, plan=record.plan or plan)
        return TaskRecord.from_dict(values).redacted(secrets)
    props = read_task_properties(report.user_properties)
    if report.skipped:
        status = "skipped"
    elif report.failed:
        status = "failed"
    else:
        status = str(props.get("status") or "done")
    error = str(props.get("last_error") or "")
    if not error and not report.passed:
        lines = report.longreprtext.strip().splitlines()
        error = lines[-1] if lines else ""
    cost = props.get("cost")
    return TaskRecord(
        task_id=task_id,
        status=status,
        description=description,
        plan=plan,
        attempts=int(props.get("attempts") or 0),
        branch=str(props.get("branch") or ""),
        commit=str(props.get("commit") or ""),
        duration=report.duration,
        tokens=int(props.get("tokens") or 0),
        cost=float(cost) if cost is not None else None,
        engine=str(props.get("engine") or ""),
        error=error,
    ).redacted(secrets)
