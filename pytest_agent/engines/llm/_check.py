"""Dry-run a submitted diff before it is returned, so a refusal can go back to the model.

The patch engine (``pytest_agent.patch``) is run on a temporary copy of the files
the diff names: the workspace itself is never written here (the harness applies
the returned proposal). Cheap checks of our own come first: paths that leave the
workspace, ``.git``, and the task's accept tests.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Final

from pytest_agent._types import Task
from pytest_agent._types import Workspace

__all__ = ["check_diff", "diff_paths"]

_HEADER: Final = re.compile(r"^(?:---|\+\+\+) (\S+)", re.MULTILINE)
_GIT_HEADER: Final = re.compile(r"^diff --git (\S+) (\S+)", re.MULTILINE)


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
    paths = diff_paths(diff)
    root = workspace.root.resolve()
    for rel in paths:
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
    if not paths:
        return None  # not a unified diff (SEARCH/REPLACE, a whole file): the harness decides
    return _apply_in_copy(task, root, diff, paths)


def _apply_in_copy(task: Task, root: Path, diff: str, paths: list[str]) -> str | None:
    from pytest_agent.patch import apply_proposal

    with tempfile.TemporaryDirectory(prefix="pytest-agent-check-") as tmp:
        copy = Path(tmp)
        try:
            subprocess.run(["git", "init", "-q", str(copy)], check=True, timeout=30,
                           capture_output=True)
            for rel in paths:
                source = root / rel
                if source.is_file():
                    (copy / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, copy / rel)
            applied = apply_proposal(copy, diff, task=task)
        except Exception:  # noqa: BLE001 - advisory: the harness's apply step decides
            return None
    if applied.ok:
        return None
    rule = f" ({applied.rule})" if applied.rule else ""
    return f"{applied.reason.strip() or 'refused'}{rule}".replace(tmp, "<repo>")
