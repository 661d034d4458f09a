"""The default ``verify`` step: accept tests, then lint (:mod:`pytest_agent.verify`)."""

from __future__ import annotations

import pytest

from pytest_agent._types import Applied
from pytest_agent._types import Task
from pytest_agent._types import Verdict
from pytest_agent._types import Workspace
from pytest_agent.settings import AgentSettings

__all__ = ["pytest_agent_verify"]


@pytest.hookimpl(trylast=True)
def pytest_agent_verify(
    task: Task, workspace: Workspace, applied: Applied, settings: AgentSettings
) -> Verdict:
    from pytest_agent.verify import verify

    return verify(task, workspace, applied, settings)
