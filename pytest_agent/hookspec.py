"""Hook specifications of pytest-agent.

Added to pytest's plugin manager in ``pytest_addhooks``. Implement them in a
``conftest.py`` or in a plugin registered through the ``pytest11`` entry point;
the harness calls them through ``item.ihook``, so conftest scoping applies.

The step hooks are ``firstresult``: implementations are called in pluggy's order
(``tryfirst`` ones first, the project's own ``trylast`` defaults last) until one
returns a value other than ``None``; that value is the step's result and the rest
are not called. Returning ``None`` means "not mine: ask the next one". Every step
has a default implementation (:mod:`pytest_agent.steps`), so ``None`` from *every*
implementation only happens when a plugin blocked or replaced the defaults; what
the loop then does is said under each hook. Implementations may accept any subset
of the arguments listed in a spec.

The observer hooks are called on every implementation; their return values are
ignored. Rollback is not a hook: the harness always removes a failed task's
worktree and branch.
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
    from pytest_agent._types import Localization
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
) -> Localization | None:
    """Rank the places in ``workspace`` most likely to need the change.

    Called once per task, after the baseline run and before the first attempt. An
    exception is recorded in the task's memory and the task goes on without a
    localization.

    :param task: The task being worked on.
    :param workspace: The task's worktree (reset after this hook returns).
    :param baseline: The run of the accept tests' files before any change.
    :param settings: The effective settings (``localize_formula``,
        ``context_token_budget``...).
    :returns: A :class:`~pytest_agent.Localization`: ranked functions, the
        prompt-ready context pack, optionally ranked single lines; or ``None`` to
        let the next implementation answer. ``None`` from all: the attempts run with
        no locations and an empty pack. Deprecated: a ``(locations, pack)`` or
        ``(locations, pack, lines)`` tuple is still accepted and converted.

    Stops at first non-None result.

    Example (conftest.py)::

        from pytest_agent import Localization, Location

        def pytest_agent_localize(task):
            if task.files:
                where = Location(path=task.files[0], function="<module>",
                                 start_line=1, end_line=1, score=1.0)
                return Localization(functions=(where,), pack=f"Look at {task.files[0]}")
            return None
    """


@hookspec(firstresult=True)
def pytest_agent_propose_diff(
    task: Task, context: Context, workspace: Workspace, settings: AgentSettings
) -> Proposal | str | None:
    """Propose a change for ``task``.

    :param task: The task being worked on.
    :param context: The localization, baseline failures, memory and the history
        of earlier attempts (``context.previous_diffs``).
    :param workspace: The task's worktree (clean at the start of every attempt).
    :param settings: The effective settings.
    :returns: A :class:`~pytest_agent.Proposal`; or a plain unified diff string
        (wrapped as ``Proposal(diff=text, engine="plugin")``); or
        ``Proposal(diff="", stop_reason="...")`` to stop the task now with that
        reason; or ``None`` to let the next implementation answer. ``None`` from
        all (no engine answered): the task stops with advice on configuring one.

    Stops at first non-None result.

    Example (conftest.py)::

        def pytest_agent_propose_diff(task, workspace):
            if task.id == "T-101":
                return (workspace.root / "fix.diff").read_text()
            return None  # the selected engine proposes
    """


@hookspec(firstresult=True)
def pytest_agent_apply(task: Task, proposal: Proposal, workspace: Workspace) -> Applied | None:
    """Apply ``proposal`` in ``workspace``: all of it, or none of it.

    :param task: The task being worked on (its accept tests' files are protected
        unless ``task.allow_test_edits``).
    :param proposal: The attempt's proposal; ``proposal.diff`` is not empty.
    :param workspace: The task's worktree; write only under ``workspace.root``.
    :returns: An :class:`~pytest_agent.Applied` saying what changed, or why the
        proposal was refused (``ok=False`` with ``reason`` and a ``rule``); or
        ``None`` to let the next implementation answer. ``None`` from all: the
        attempt counts as refused (rule ``"not-applied"``) and the loop reflects
        and retries.

    Stops at first non-None result.

    Example (conftest.py)::

        from pytest_agent import Applied

        def pytest_agent_apply(proposal):
            if "vendor/" in proposal.diff:
                return Applied(ok=False, reason="vendor/ is read-only", rule="path-escape")
            return None  # the patch engine applies it
    """


@hookspec(firstresult=True)
def pytest_agent_verify(
    task: Task, workspace: Workspace, applied: Applied, settings: AgentSettings
) -> Verdict | None:
    """Decide whether the applied change is good: the accept tests pass, then lint is clean.

    Called only when the apply step succeeded (``applied.ok``).

    :param task: The task being worked on (its accept tests and regression set).
    :param workspace: The task's worktree, with the change applied.
    :param applied: What the apply step changed (lint runs on these files).
    :param settings: The effective settings (``test_timeout``, ``lint_command``...).
    :returns: A :class:`~pytest_agent.Verdict`; or ``None`` to let the next
        implementation answer. ``None`` from all: the attempt counts as failed
        verification (no commit) and the loop reflects and retries.

    Stops at first non-None result.

    Example (conftest.py)::

        from pytest_agent import Verdict

        def pytest_agent_verify(applied):
            if any(f.startswith("migrations/") for f in applied.changed_files):
                return Verdict(passed=False, tests=None, summary="migrations need a human")
            return None  # accept tests, then lint
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

    :param task: The task being worked on.
    :param attempt: The failed attempt so far (``critique`` is ``None``).
    :param verdict: The verification's verdict; ``None`` when the proposal was
        refused before verification.
    :param context: The context the attempt was given.
    :param settings: The effective settings.
    :returns: A :class:`~pytest_agent.Critique`; or ``None`` to let the next
        implementation answer. ``None`` from all: the next attempt runs without a
        critique.

    Stops at first non-None result.

    Example (conftest.py)::

        from pytest_agent import Critique

        def pytest_agent_reflect(attempt, verdict):
            if verdict is not None and verdict.lint:
                return Critique(text="Keep the change; fix the lint findings only.")
            return None
    """


@hookspec(firstresult=True)
def pytest_agent_commit(
    task: Task,
    workspace: Workspace,
    applied: Applied,
    verdict: Verdict,
    settings: AgentSettings,
    proposal: Proposal,
) -> CommitInfo | None:
    """Commit the verified change on the task's branch (``task.branch``).

    :param task: The task being worked on.
    :param workspace: The task's worktree, with the verified change.
    :param applied: What the apply step changed (the files to commit).
    :param verdict: The passing verdict.
    :param settings: The effective settings.
    :param proposal: The proposal that was applied; its ``review`` line (a change of a
        kind known to overfit the tests) goes into the default commit message.
    :returns: The :class:`~pytest_agent.CommitInfo` (sha, branch); or ``None`` to
        let the next implementation answer. ``None`` from all: the change is not
        committed and the task fails, saying so.

    Stops at first non-None result.

    Example (conftest.py)::

        import pytest

        @pytest.hookimpl(wrapper=True)
        def pytest_agent_commit(task):
            commit = yield  # the default commits; a wrapper only watches
            if commit is not None:
                print(f"{task.id}: committed {commit.sha[:8]} on {commit.branch}")
            return commit
    """


# -- observers (every implementation is called) ---------------------------


@hookspec
def pytest_agent_task_start(task: Task, workspace: Workspace) -> None:
    """A task's worktree exists; its first attempt is about to start.

    :param task: The task.
    :param workspace: The task's worktree on ``task.branch``.

    Example (conftest.py)::

        def pytest_agent_task_start(task, workspace):
            print(f"{task.id}: working in {workspace.root}")
    """


@hookspec
def pytest_agent_attempt_end(task: Task, attempt: AttemptRecord) -> None:
    """An attempt finished (successfully or not).

    :param task: The task.
    :param attempt: What happened: proposal, applied, verdict, critique, duration.

    Example (conftest.py)::

        def pytest_agent_attempt_end(task, attempt):
            ok = attempt.verdict is not None and attempt.verdict.passed
            print(f"{task.id} attempt {attempt.number}: {'passed' if ok else 'failed'}")
    """


@hookspec
def pytest_agent_task_end(task: Task, result: TaskResult) -> None:
    """A task finished; ``result`` is what is reported and written back.

    :param task: The task.
    :param result: The outcome, attempts, commit, usage and error.

    Example (conftest.py)::

        def pytest_agent_task_end(task, result):
            print(f"{task.id}: {result.outcome.value} after {len(result.attempts)} attempt(s)")
    """
