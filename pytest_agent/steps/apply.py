"""The default ``apply`` step: the patch engine (:mod:`pytest_agent.patch`), all or nothing."""

from __future__ import annotations

import pytest

from pytest_agent._types import Applied
from pytest_agent._types import Proposal
from pytest_agent._types import Task
from pytest_agent._types import Workspace

__all__ = ["pytest_agent_apply"]


@pytest.hookimpl(trylast=True)
def pytest_agent_apply(task: Task, proposal: Proposal, workspace: Workspace) -> Applied:
    from pytest_agent.patch import apply_proposal

    return apply_proposal(workspace.root, proposal.diff, task=task)
