"""The LLM engine as a pluggy plugin: registered (as ``agent-engine-llm``) when selected.

Selection is :func:`pytest_agent.steps.propose.engine_plugin`. Besides proposing,
the engine reflects on its own failed attempts (the rule-based reflect step,
registered after this plugin, answers for everything else) and summarizes task
memory when it is compacted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final

import pytest

from pytest_agent._types import AttemptRecord
from pytest_agent._types import Context
from pytest_agent._types import Critique
from pytest_agent._types import Proposal
from pytest_agent._types import Task
from pytest_agent._types import Verdict
from pytest_agent._types import Workspace
from pytest_agent.settings import AgentSettings

__all__ = [
    "NAME", "check_config", "pytest_agent_propose_diff", "pytest_agent_reflect", "summarizer",
]

NAME: Final = "llm"


def check_config(settings: AgentSettings) -> str | None:
    """Why the LLM engine cannot run with ``settings`` (no key, a bad URL...), else ``None``."""
    from pytest_agent.engines import llm

    return llm.check_config(settings)


def summarizer(settings: AgentSettings, repo_root: Path) -> Callable[[str], str | None] | None:
    """Task memory is summarized by the model when it grows past its limit."""
    from pytest_agent.engines import llm

    return lambda text: llm.summarize(text, settings, repo_root=repo_root)


@pytest.hookimpl(trylast=True)
def pytest_agent_propose_diff(
    task: Task, context: Context, workspace: Workspace, settings: AgentSettings
) -> Proposal | None:
    from pytest_agent.engines import llm

    return llm.propose(task, context, workspace, settings)


@pytest.hookimpl(trylast=True)
def pytest_agent_reflect(
    task: Task,
    attempt: AttemptRecord,
    verdict: Verdict | None,
    context: Context,
    settings: AgentSettings,
) -> Critique | None:
    # Only the model's own attempts: a plugin's proposal gets the rule-based critique.
    if attempt.proposal is None or attempt.proposal.engine != NAME:
        return None
    from pytest_agent.engines import llm

    return llm.reflect(task, attempt, verdict, context, settings)
