"""Fault localization and context packing (issue #5).

:func:`localize` runs the test files of the task's accept tests once, in a
subprocess, under coverage.py with one dynamic context per test; scores every
project line with Ochiai (or DStar) over the passing and failing tests; adds the
failing tests' tracebacks (frames in project code, the function called on the
failing line, import and syntax errors), the names in the task's description
and its ``files``; and ranks functions (``ast`` spans, qualnames) and lines.
From the ranking it builds the context pack a proposer reads, within
``settings.context_token_budget`` estimated tokens. See docs/localize.md.

coverage.py is imported only inside that subprocess.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_agent._types import Localization
from pytest_agent.localize._pack import CHARS_PER_TOKEN
from pytest_agent.localize._pack import estimate_tokens

if TYPE_CHECKING:
    from pytest_agent._types import Location
    from pytest_agent._types import Task
    from pytest_agent._types import TestRun
    from pytest_agent._types import Workspace
    from pytest_agent.settings import AgentSettings

__all__ = ["CHARS_PER_TOKEN", "Localization", "estimate_tokens", "localize", "localize_detailed"]

# Kept light: the coverage run's subprocess imports ``pytest_agent.localize._covplugin``,
# and with it this package; the ranking machinery (and pydantic settings) load lazily.
# ``Localization`` lives with the other hook types in ``pytest_agent._types`` (the
# ground floor), so ``_run`` does not import this package back.


def localize(
    task: Task, workspace: Workspace, baseline: TestRun | None, settings: AgentSettings
) -> tuple[tuple[Location, ...], str]:
    """Return the ranked functions (best first) and the context pack for a proposer.

    :param task: The task; its accept tests' files are run under coverage.
    :param workspace: The worktree; paths in the result are relative to its root.
    :param baseline: The accept tests' run before any change; its failure texts go
        into the pack and stand in for the coverage run's when that run gives none.
    :param settings: ``localize_formula``, ``context_token_budget`` and
        ``test_timeout`` are used.
    """
    found = localize_detailed(task, workspace, baseline, settings)
    return found.functions, found.pack


def localize_detailed(
    task: Task, workspace: Workspace, baseline: TestRun | None, settings: AgentSettings
) -> Localization:
    """Like :func:`localize`, with the line ranking and the method too."""
    from pytest_agent.localize._run import run_localization

    return run_localization(task, workspace, baseline, settings)
