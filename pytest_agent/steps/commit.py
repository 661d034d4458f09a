"""The default ``commit`` step: the verified change, committed on the task's branch."""

from __future__ import annotations

from typing import final

import pytest

from pytest_agent._types import Applied
from pytest_agent._types import CommitInfo
from pytest_agent._types import Proposal
from pytest_agent._types import Task
from pytest_agent._types import Workspace
from pytest_agent.workspace import WorkspaceManager

__all__ = ["CommitStep"]


@final
class CommitStep:
    """Commits through the run's ``WorkspaceManager`` (under its git lock)."""

    def __init__(self, workspaces: WorkspaceManager) -> None:
        self._workspaces = workspaces

    @pytest.hookimpl(trylast=True)
    def pytest_agent_commit(
        self, task: Task, workspace: Workspace, applied: Applied, proposal: Proposal
    ) -> CommitInfo:
        return self._workspaces.commit(
            workspace, task, applied.changed_files, review=proposal.review
        )
