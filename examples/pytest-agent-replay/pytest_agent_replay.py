"""An example third-party plugin for pytest-agent.

* ``pytest_agent_propose_diff``: when ``proposals/<task-id>.diff`` exists in the
  repository, propose it (a human-written or recorded patch, replayed through
  the same apply / verify / commit steps); otherwise return ``None`` so the next
  implementation (the LLM or the offline engine) answers.
* ``pytest_agent_attempt_end`` / ``pytest_agent_task_end``: append one JSON line
  per attempt and per task to ``agent-log.jsonl``, for dashboards.
"""

from __future__ import annotations

import json
from pathlib import Path

from pytest_agent import AttemptRecord
from pytest_agent import Proposal
from pytest_agent import Task
from pytest_agent import TaskResult
from pytest_agent import Workspace


def pytest_agent_propose_diff(task: Task, workspace: Workspace) -> Proposal | None:
    recorded = workspace.repo_root / "proposals" / f"{task.id}.diff"
    if not recorded.is_file():
        return None
    return Proposal(diff=recorded.read_text(), notes=f"replayed {recorded.name}", engine="replay")


def _log(task: Task, record: dict[str, object]) -> None:
    assert task.plan_path is not None
    log = task.plan_path.parent.parent / "agent-log.jsonl"
    with log.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"task": task.id, **record}) + "\n")


def pytest_agent_attempt_end(task: Task, attempt: AttemptRecord) -> None:
    _log(task, {
        "event": "attempt",
        "number": attempt.number,
        "applied": attempt.applied.ok if attempt.applied else None,
        "passed": attempt.verdict.passed if attempt.verdict else None,
    })


def pytest_agent_task_end(task: Task, result: TaskResult) -> None:
    _log(task, {
        "event": "task",
        "outcome": result.outcome.value,
        "commit": result.commit.sha if result.commit else None,
        "path": str(Path(result.task.plan_path or "")),
    })
