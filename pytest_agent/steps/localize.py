"""The default ``localize`` step: fault localization by :mod:`pytest_agent.localize`."""

from __future__ import annotations

import pytest

from pytest_agent._types import Localization
from pytest_agent._types import Task
from pytest_agent._types import TestRun
from pytest_agent._types import Workspace
from pytest_agent.settings import AgentSettings

__all__ = ["pytest_agent_localize"]


@pytest.hookimpl(trylast=True)
def pytest_agent_localize(
    task: Task, workspace: Workspace, baseline: TestRun | None, settings: AgentSettings
) -> Localization:
    # Imported here: the ranking machinery loads only when a task runs.
    from pytest_agent.localize import localize_detailed

    return localize_detailed(task, workspace, baseline, settings)
