"""Hook specifications of pytest-agent.

Added to pytest's plugin manager in ``pytest_addhooks``. Implement them in a
``conftest.py`` or in a plugin registered through the ``pytest11`` entry point;
the harness calls them through ``item.ihook``, so conftest scoping applies.

The step hooks are ``firstresult``: the first implementation returning a value
other than ``None`` wins. The project's own implementations are registered with
``trylast=True``, so any other implementation runs first. Implementations may
accept any subset of the arguments listed in a spec.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_agent._types import Applied
    from pytest_agent._types import AttemptRecord
    from pytest_agent._types import CommitInfo
    from pytest_agent._types import Context
    from pytest_agent._types import Critique
    from pytest_agent._types import Location
    from pytest_agent._types import Proposal
    from pytest_agent._types import Task
    from pytest_agent._types import TaskResult
    from pytest_agent._types import TestRun
    from pytest_agent._types import Verdict
    from pytest_agent._types import Workspace
    from pytest_agent.settings import AgentSettings

hookspec = pytest.hookspec


@hookspec(firstresult=True)
def pytest_agent_localize(
    task: Task, workspace: Workspace, baseline: TestRun | None, settings: AgentSettings
) -> (
    tuple[tuple[Location, ...], str] | tuple[tuple[Location, ...], str, tuple[Location, ...]] | None
):
    """Rank the places in ``workspace`` most likely to need the change.

    :param task: The task being worked on.
    :param workspace: The task's worktree.
    :param baseline: The accept tests' run before any change.
    :param settings: The effective settings.
    :returns: ``(locations, pack)``: the ranked locations, best first, and the
        prompt-ready context pack built from them; optionally a third element, the
        ranked single lines (``Context.lines``); or ``None`` to let the next
        implementation answer.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def pytest_agent_propose_diff(
    task: Task, context: Context, workspace: Workspace, settings: AgentSettings
) -> Proposal | str | None:
    """Propose a change for ``task``.

    :param task: The task being worked on.
    :param context: The localization, failing output, memory and history of attempts.
    :param workspace: The task's worktree (clean at the start of every attempt).
    :param settings: The effective settings.
    :returns: A :class:`~pytest_agent.Proposal`, or a plain unified diff string,
        or ``None`` to let the next implementation answer.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def pytest_agent_apply(task: Task, proposal: Proposal, workspace: Workspace) -> Applied | None:
    """Apply ``proposal`` in ``workspace``: all of it, or none of it.

    :returns: An :class:`~pytest_agent.Applied` saying what changed, or why the
        proposal was refused (with ``ok=False``); ``None`` to let the next
        implementation answer.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def pytest_agent_verify(
    task: Task, workspace: Workspace, applied: Applied, settings: AgentSettings
) -> Verdict | None:
    """Decide whether the applied change is good: the accept tests pass, then lint is clean.

    :param applied: What the apply step changed (lint runs on these files).
    :returns: A :class:`~pytest_agent.Verdict`, or ``None``.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def pytest_agent_reflect(
    task: Task,
    attempt: AttemptRecord,
    verdict: Verdict | None,
    context: Context,
    settings: AgentSettings,
) -> Critique | None:
    """Write a critique of a failed attempt: what failed, why, what to try next.

    The critique is stored in the task's memory and given to the next attempt.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def pytest_agent_commit(
    task: Task, workspace: Workspace, applied: Applied, verdict: Verdict, settings: AgentSettings
) -> CommitInfo | None:
    """Commit the verified change on the task's branch.

    :param applied: What the apply step changed (the files to commit).

    :returns: The :class:`~pytest_agent.CommitInfo` (sha, branch), or ``None``.

    Stops at first non-None result.
    """


# -- observers (every implementation is called) ---------------------------


@hookspec
def pytest_agent_task_start(task: Task, workspace: Workspace) -> None:
    """A task is about to make its first attempt."""


@hookspec
def pytest_agent_attempt_end(task: Task, attempt: AttemptRecord) -> None:
    """An attempt finished (successfully or not)."""


@hookspec
def pytest_agent_task_end(task: Task, result: TaskResult) -> None:
    """A task finished; ``result`` is what is reported and written back."""
