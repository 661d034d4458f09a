"""The offline engine as a pluggy plugin: registered (as ``agent-engine-offline``) when selected.

Selection is :func:`pytest_agent.steps.propose.engine_plugin`; the module-level
``check_config`` and ``summarizer`` are what the session asks every engine plugin.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final

import pytest

from pytest_agent._types import Context
from pytest_agent._types import Proposal
from pytest_agent._types import Task
from pytest_agent._types import Workspace
from pytest_agent.settings import AgentSettings

__all__ = ["NAME", "check_config", "pytest_agent_propose_diff", "summarizer"]

NAME: Final = "offline"


def check_config(settings: AgentSettings) -> str | None:
    """The offline engine needs no key, no server: nothing to refuse."""
    return None


def summarizer(settings: AgentSettings, repo_root: Path) -> Callable[[str], str | None] | None:
    """No model to summarize task memory with: older entries are cut, not summarized."""
    return None


@pytest.hookimpl(trylast=True)
def pytest_agent_propose_diff(
    task: Task, context: Context, workspace: Workspace, settings: AgentSettings
) -> Proposal | None:
    # Imported here: the engine (and its worker pool) loads when the first task proposes.
    from pytest_agent.engines import offline

    return offline.propose(task, context, workspace, settings)
