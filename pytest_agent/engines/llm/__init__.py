"""The LLM proposer (issue #6). Placeholder: proposes nothing."""

from __future__ import annotations

from pytest_agent._types import AttemptRecord
from pytest_agent._types import Context
from pytest_agent._types import Critique
from pytest_agent._types import Proposal
from pytest_agent._types import Task
from pytest_agent._types import Verdict
from pytest_agent._types import Workspace
from pytest_agent.settings import AgentSettings

__all__ = ["propose", "reflect"]


def propose(
    task: Task, context: Context, workspace: Workspace, settings: AgentSettings
) -> Proposal | None:
    """Ask the model for a diff; ``None`` when it gives none."""
    return None


def reflect(
    task: Task,
    attempt: AttemptRecord,
    verdict: Verdict | None,
    context: Context,
    settings: AgentSettings,
) -> Critique | None:
    """Ask the model for a critique of a failed attempt; ``None`` to use the default."""
    return None
