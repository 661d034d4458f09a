"""Dry-run a submitted diff before it is returned, so a refusal can go back to the model.

The patch engine's :func:`~pytest_agent.patch.plan_patch` computes what the apply
step would do without writing: the workspace is never changed here (the harness
applies the returned proposal). Cheap checks of our own come first, with messages
written for the model: paths that leave the workspace, ``.git``, the accept tests.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from pytest_agent._types import Applied
from pytest_agent._types import Task
from pytest_agent._types import Workspace

__all__ = ["check_diff", "diff_paths"]

_HEADER: Final = re.compile(r"^(?:---|\+\+\+) (\S+)", re.MULTILINE)
_GIT_HEADER: Final = re.compile(r"^diff --git (\S+) (\S+)", re.MULTILINE)
#: Seconds the dry run may spend locating hunks.
CHECK_TIMEOUT: Final = 20.0


def diff_paths(diff: str) -> list[str]:
    """The repository-relative paths a unified diff names (``a/``, ``b/`` stripped)."""
    names = [m.group(1) for m in _HEADER.finditer(diff)]
    for m in _GIT_HEADER.finditer(diff):
        names.extend(m.groups())
    seen: dict[str, None] = {}
    for name in names:
        name = name.strip().strip('"')
        if name == "/dev/null":
            continue
        if name.startswith(("a/", "b/")):
            name = name[2:]
        seen.setdefault(name, None)
    return list(seen)


def check_diff(task: Task, workspace: Workspace, diff: str) -> str | None:
    """Why the diff would be refused, or ``None`` when it applies (or cannot be checked)."""
    if not diff.strip():
        return "the diff is empty"
    root = workspace.root.resolve()
    for rel in diff_paths(diff):
        path = Path(rel)
        if path.is_absolute() or ".." in path.parts:
            return f"{rel}: the diff may only touch files inside the repository (relative paths)"
        if ".git" in path.parts:
            return f"{rel}: the diff may not touch .git"
        if not (root / path).resolve().is_relative_to(root):
            return f"{rel}: resolves outside the repository (a symlink?)"
        if not task.allow_test_edits and rel in task.accept_test_files:
            return (
                f"{rel}: the task's accept tests may not be edited; change the code under "
                "test instead"
            )
    from pytest_agent.patch import plan_patch

    try:
        # The patch engine's dry run: every hunk located, every rule checked, nothing written.
        plan = plan_patch(root, diff, task=task, timeout=CHECK_TIMEOUT)
    except Exception:  # noqa: BLE001 - advisory: the harness's apply step decides
        return None
    if not isinstance(plan, Applied) or plan.ok:
        return None
    rule = f" ({plan.rule})" if plan.rule else ""
    return f"{plan.reason.strip() or 'refused'}{rule}"
