"""Fault localization and context packing (issue #5).

Placeholder: ranks nothing and packs the task and the failing output only.
"""

from __future__ import annotations

from pytest_agent._types import Location
from pytest_agent._types import Task
from pytest_agent._types import TestRun
from pytest_agent._types import Workspace
from pytest_agent.settings import AgentSettings

__all__ = ["localize"]


def localize(
    task: Task, workspace: Workspace, baseline: TestRun | None, settings: AgentSettings
) -> tuple[tuple[Location, ...], str]:
    """Return the ranked locations (best first) and the context pack for a proposer."""
    parts = [f"# Task {task.id}\n{task.description}\n"]
    if baseline is not None:
        for nodeid, text in baseline.failures.items():
            parts.append(f"## Failing: {nodeid}\n{text[-2000:]}\n")
    return (), "\n".join(parts)
