"""The patch engine: parse model-written proposals and apply them safely.

Placeholder until issue #4 lands: applies well-formed unified diffs with
``git apply`` and nothing else.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from pytest_agent._types import Applied
from pytest_agent._types import Task

__all__ = ["apply_proposal"]


def apply_proposal(root: Path, text: str, *, task: Task, timeout: float = 60.0) -> Applied:
    """Apply ``text`` (a proposal) inside ``root``: all of it or none of it."""
    if not text.strip():
        return Applied(ok=False, reason="the proposal is empty", rule="empty")
    if not text.endswith("\n"):
        text += "\n"
    check = subprocess.run(
        ["git", "apply", "--check", "--numstat", "-"],
        cwd=root, input=text, capture_output=True, text=True, timeout=timeout, check=False,
    )
    if check.returncode != 0:
        return Applied(ok=False, reason=check.stderr.strip(), rule="hunk-failed")
    changed = tuple(line.split("\t")[2] for line in check.stdout.splitlines() if line.count("\t") >= 2)
    subprocess.run(
        ["git", "apply", "-"], cwd=root, input=text, capture_output=True, text=True,
        timeout=timeout, check=True,
    )
    return Applied(ok=True, changed_files=changed)
