"""The rules a proposal's paths and files must follow before anything is read or written.

Checked in this order, each refusal naming its rule (``Applied.rule``):

- ``absolute-path``: ``/etc/passwd``, ``C:\\x``, ``~/x``.
- ``path-escape``: a ``..`` component.
- ``git-dir``: any ``.git`` component (the directory, or a worktree's ``.git`` file).
- ``symlink-escape``: the path resolves (through symlinks) outside the workspace, or
  into its ``.git``.
- ``test-edit``: one of the task's accept-test files, unless ``allow_test_edits``.
- ``not-a-file``, ``too-large``, ``binary``: the file on disk is a directory or special
  file, is bigger than the limit, or holds NUL bytes.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from typing import final

from pytest_agent._types import Task
from pytest_agent.patch._model import PatchError

__all__ = ["Limits", "check_file", "check_relative", "check_target", "check_test_edit"]

_DRIVE: Final = re.compile(r"^[A-Za-z]:")


@final
@dataclass(frozen=True)
class Limits:
    """Size limits of the patch engine (bytes and counts)."""

    #: The largest proposal accepted.
    max_diff_bytes: int = 1_000_000
    #: The largest file read or written.
    max_file_bytes: int = 2_000_000
    #: The most files one proposal may touch.
    max_files: int = 50


def check_relative(raw: str) -> str:
    """``raw`` as a clean repository-relative posix path, or the rule it breaks."""
    path = raw.strip().replace("\\", "/")
    if path.startswith(("/", "~")) or _DRIVE.match(path):
        raise PatchError("absolute-path", f"{raw}: paths must be relative to the repository "
                         "root, not absolute")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts:
        raise PatchError("parse-error", f"{raw!r} is not a file path")
    if ".." in parts:
        raise PatchError("path-escape", f"{raw}: '..' may not appear in a path; name files "
                         "relative to the repository root")
    if any(p.lower() == ".git" for p in parts):
        raise PatchError("git-dir", f"{raw}: files under .git may not be edited")
    if any("\x00" in p for p in parts):
        raise PatchError("parse-error", f"{raw!r} is not a file path")
    return "/".join(parts)


def check_target(root: Path, rel: str) -> Path:
    """The real path ``rel`` names under the (resolved) ``root``; refuse symlink escapes."""
    full = root / rel
    real = Path(os.path.realpath(full))
    if not real.is_relative_to(root) or real == root:
        raise PatchError("symlink-escape", f"{rel}: resolves outside the repository (through "
                         "a symlink); edit the file itself")
    if any(p.lower() == ".git" for p in real.relative_to(root).parts):
        raise PatchError("git-dir", f"{rel}: resolves into .git (through a symlink)")
    return real


def check_test_edit(root: Path, rel: str, real: Path, task: Task) -> None:
    """Refuse an edit of an accept-test file unless the task allows it."""
    if task.allow_test_edits:
        return
    for test in task.accept_test_files:
        test = test.replace("\\", "/")
        test = test[2:] if test.startswith("./") else test
        same = rel == test or rel.endswith("/" + test)
        if not same:
            try:
                same = Path(os.path.realpath(root / test)) == real
            except (OSError, ValueError):
                same = False
        if same:
            raise PatchError("test-edit", f"{rel} holds the task's accept tests, which may not "
                             "be edited; change the code under test instead")


def check_file(real: Path, rel: str, limits: Limits) -> bytes | None:
    """The file's bytes (``None`` if it does not exist), after the size and type checks."""
    try:
        st = os.stat(real)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PatchError("not-a-file", f"{rel}: cannot be read ({exc.strerror})") from exc
    if not stat.S_ISREG(st.st_mode):
        raise PatchError("not-a-file", f"{rel} is not a regular file (a directory?)")
    if st.st_size > limits.max_file_bytes:
        raise PatchError("too-large", f"{rel} is {st.st_size} bytes, over the limit of "
                         f"{limits.max_file_bytes}")
    data = real.read_bytes()
    if b"\x00" in data[:8192]:
        raise PatchError("binary", f"{rel} is a binary file; only text files may be edited")
    return data
