"""The embedded offline repair engine (issue #7): search-based generate-and-validate.

Mutation operators (``_operators``) make single text edits at the most suspicious
lines of the localization first, ranked by suspiciousness x operator prior
(``_search``); each candidate is compiled, deduplicated and validated by the task's
tests in warm forked pytest workers, in parallel, each in its own copy of the
workspace (``_pool``, ``_worker``); pairs of edits follow the singles within the
budgets ``offline_max_candidates`` and ``offline_time_budget``. The winner is
returned as a unified diff; the harness applies, verifies and commits it like any
other proposal. See docs/offline.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_agent._types import Context
    from pytest_agent._types import Proposal
    from pytest_agent._types import Task
    from pytest_agent._types import Workspace
    from pytest_agent.settings import AgentSettings

__all__ = ["propose"]


def propose(
    task: Task, context: Context, workspace: Workspace, settings: AgentSettings
) -> Proposal:
    """Search for a repair of ``task``.

    When no candidate passes within the budgets, the proposal has an empty diff and a
    one-line ``stop_reason`` (candidates generated and validated, time, why the search
    stopped); its notes add the best partial candidate with its diff.

    :param task: The task; its accept tests are the specification.
    :param context: The attempt's context: the baseline run (failing accept tests
        are validated first), the ranked locations (used when our own line-level
        localization is unavailable) and ``previous_diffs`` (never proposed again).
    :param workspace: The task's worktree; never written (workers use copies).
    :param settings: ``offline_max_candidates``, ``offline_time_budget``,
        ``offline_workers``, ``candidate_timeout`` and ``lint_command`` are used.
    """
    # Imported here: the workers import this package, and should not pay for the engine.
    from pytest_agent.engines.offline._engine import propose as _propose

    return _propose(task, context, workspace, settings)
