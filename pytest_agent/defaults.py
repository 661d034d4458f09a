"""The project's own implementations of the ``pytest_agent_*`` hooks.

Registered ``trylast`` (pytest-timeout's pattern), so any conftest.py or plugin
implementation runs first and wins by returning a value. Heavy modules (the
engines, the patch engine, coverage) are imported inside the hooks.
"""

from __future__ import annotations

import pytest

from pytest_agent._types import Applied
from pytest_agent._types import AttemptRecord
from pytest_agent._types import CommitInfo
from pytest_agent._types import Context
from pytest_agent._types import Critique
from pytest_agent._types import Location
from pytest_agent._types import Proposal
from pytest_agent._types import Task
from pytest_agent._types import TestRun
from pytest_agent._types import Verdict
from pytest_agent._types import Workspace
from pytest_agent.settings import AgentSettings
from pytest_agent.workspace import WorkspaceManager

__all__ = ["NO_PROPOSER_HELP", "DefaultSteps"]

NO_PROPOSER_HELP = (
    "no proposal: the {engine} engine produced no diff for this task. "
    "To configure a proposer: set AGENT_API_KEY (or OPENAI_API_KEY) and optionally "
    "AGENT_BASE_URL for an OpenAI-compatible server and run with --agent-engine llm; "
    "or implement pytest_agent_propose_diff in a conftest.py or plugin (see docs/hooks.md)."
)


class DefaultSteps:
    """The default step implementations, one object registered as ``agent-defaults``."""

    def __init__(self, workspaces: WorkspaceManager) -> None:
        self._workspaces = workspaces

    @pytest.hookimpl(trylast=True)
    def pytest_agent_localize(
        self, task: Task, workspace: Workspace, baseline: TestRun | None, settings: AgentSettings
    ) -> tuple[tuple[Location, ...], str, tuple[Location, ...]] | None:
        from pytest_agent.localize import localize_detailed

        found = localize_detailed(task, workspace, baseline, settings)
        return found.functions, found.pack, found.lines

    @pytest.hookimpl(trylast=True)
    def pytest_agent_propose_diff(
        self, task: Task, context: Context, workspace: Workspace, settings: AgentSettings
    ) -> Proposal | None:
        if settings.resolved_engine == "llm":
            from pytest_agent.engines import llm

            return llm.propose(task, context, workspace, settings)
        from pytest_agent.engines import offline

        return offline.propose(task, context, workspace, settings)

    @pytest.hookimpl(trylast=True)
    def pytest_agent_apply(self, task: Task, proposal: Proposal, workspace: Workspace) -> Applied:
        from pytest_agent.patch import apply_proposal

        return apply_proposal(workspace.root, proposal.diff, task=task)

    @pytest.hookimpl(trylast=True)
    def pytest_agent_verify(
        self, task: Task, workspace: Workspace, applied: Applied, settings: AgentSettings
    ) -> Verdict:
        from pytest_agent.verify import verify

        return verify(task, workspace, applied, settings)

    @pytest.hookimpl(trylast=True)
    def pytest_agent_reflect(
        self,
        task: Task,
        attempt: AttemptRecord,
        verdict: Verdict | None,
        context: Context,
        settings: AgentSettings,
    ) -> Critique:
        if settings.resolved_engine == "llm" and attempt.proposal is not None \
                and attempt.proposal.engine == "llm":
            from pytest_agent.engines import llm

            critique = llm.reflect(task, attempt, verdict, context, settings)
            if critique is not None:
                return critique
        return Critique(text=describe_failure(attempt, verdict))

    @pytest.hookimpl(trylast=True)
    def pytest_agent_commit(self, task: Task, workspace: Workspace, applied: Applied) -> CommitInfo:
        return self._workspaces.commit(workspace, task, applied.changed_files)


def describe_failure(attempt: AttemptRecord, verdict: Verdict | None) -> str:
    """A rule-based critique: what failed and what the next attempt should change."""
    if attempt.proposal is None:
        return "No proposal was made."
    if attempt.applied is not None and not attempt.applied.ok:
        return (
            f"The diff did not apply ({attempt.applied.rule}): "
            f"{attempt.applied.reason.strip()[:800]}\n"
            "Next: re-read the file and write the diff against its current text."
        )
    if verdict is None:
        return "The change could not be verified."
    parts = [f"The change applied but verification failed: {verdict.summary}."]
    if verdict.tests is not None and not verdict.tests.passed:
        for nodeid in verdict.tests.failing[:3]:
            text = verdict.tests.failures.get(nodeid, "").strip().splitlines()
            tail = "\n".join(text[-6:])
            parts.append(f"- {nodeid}:\n{tail}")
        parts.append("Next: this edit is wrong or incomplete; try a different location or edit.")
    elif verdict.lint:
        parts.extend(f"- {f}" for f in verdict.lint[:10])
        parts.append("Next: keep the behaviour, fix the lint findings above.")
    return "\n".join(parts)
