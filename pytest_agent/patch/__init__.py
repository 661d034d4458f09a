"""The patch engine: parse model-written proposals and apply them safely.

A proposal is a unified diff (well formed or not), SEARCH/REPLACE blocks, or whole
files in fenced blocks after their paths. :func:`plan_patch` computes what it would
do without writing (every hunk located, every rule checked); :func:`apply_proposal`
plans and then writes, all files or none. See ``docs/patch.md``.
"""

from __future__ import annotations

from pathlib import Path

from pytest_agent._types import Applied
from pytest_agent._types import Task
from pytest_agent.patch._apply import FileChange
from pytest_agent.patch._apply import HunkReport
from pytest_agent.patch._apply import PatchPlan
from pytest_agent.patch._apply import plan_patch
from pytest_agent.patch._apply import write_plan
from pytest_agent.patch._locate import FUZZY_MARGIN
from pytest_agent.patch._locate import FUZZY_THRESHOLD
from pytest_agent.patch._safety import Limits

__all__ = [
    "FUZZY_MARGIN",
    "FUZZY_THRESHOLD",
    "FileChange",
    "HunkReport",
    "Limits",
    "PatchPlan",
    "apply_proposal",
    "plan_patch",
    "write_plan",
]


def apply_proposal(
    root: Path,
    text: str,
    *,
    task: Task,
    timeout: float = 60.0,
    limits: Limits | None = None,
    fuzzy_threshold: float = FUZZY_THRESHOLD,
) -> Applied:
    """Apply ``text`` (a proposal) inside ``root``: all of it or none of it.

    :param root: The workspace root; every path the proposal names is relative to it.
    :param text: The proposal: a unified diff, SEARCH/REPLACE blocks, or whole files.
    :param task: The task (its accept tests may not be edited unless it allows it;
        its single file names a diff that has no headers).
    :param timeout: Seconds allowed for locating the hunks.
    :param limits: Size limits (:class:`Limits` defaults when ``None``).
    :param fuzzy_threshold: The least score a fuzzy match needs (0..1).
    :returns: ``Applied(ok=True, changed_files=...)`` (repository-relative posix
        paths), or ``Applied(ok=False, reason=..., rule=...)`` with nothing written.
    """
    plan = plan_patch(root, text, task=task, limits=limits, timeout=timeout,
                      fuzzy_threshold=fuzzy_threshold)
    if isinstance(plan, Applied):
        return plan
    return write_plan(plan)


for _name in ("FileChange", "HunkReport", "Limits", "PatchPlan"):
    globals()[_name].__module__ = "pytest_agent.patch"
del _name
