"""The embedded offline repair engine (issue #7). Placeholder: proposes nothing."""

from __future__ import annotations

from pytest_agent._types import Context
from pytest_agent._types import Proposal
from pytest_agent._types import Task
from pytest_agent._types import Workspace
from pytest_agent.settings import AgentSettings

__all__ = ["propose"]


def propose(
    task: Task, context: Context, workspace: Workspace, settings: AgentSettings
) -> Proposal | None:
    """Search for a repair; ``None`` when none is found."""
    return None
