"""Dry-run a submitted diff before it is returned, so a refusal can go back to the model.

The patch engine's :func:`~pytest_agent.patch.plan_patch` computes what the apply
step would do without writing: the workspace is never changed here (the harness
applies the returned proposal). Its rules are the only path rules: an absolute
path, ``..``, ``.git`` in any case, a symlink out of the workspace, an accept-test
file are refused with the rule's own message, so what the model is told here is
what the apply step would say.
"""

from __future__ import annotations

from typing import Final

from pytest_agent._types import Applied
from pytest_agent._types import Task
from pytest_agent._types import Workspace

__all__ = ["CHECK_TIMEOUT", "check_diff"]

#: Seconds the dry run may spend locating hunks.
CHECK_TIMEOUT: Final = 20.0


def check_diff(task: Task, workspace: Workspace, diff: str) -> str | None:
    """Why the diff would be refused, or ``None`` when it applies.

    ``None`` too when the dry run itself cannot read the workspace (an ``OSError``):
    the harness's apply step then decides, and records why.
    """
    if not diff.strip():
        return "the diff is empty"
    from pytest_agent.patch import plan_patch

    try:
        # The patch engine's dry run: every hunk located, every rule checked, nothing written.
        plan = plan_patch(workspace.root.resolve(), diff, task=task, timeout=CHECK_TIMEOUT)
    except OSError:
        return None
    if not isinstance(plan, Applied) or plan.ok:
        return None
    rule = f" ({plan.rule})" if plan.rule else ""
    return f"{plan.reason.strip() or 'refused'}{rule}"
