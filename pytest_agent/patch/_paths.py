"""Paths named in a proposal's text: path-like tokens and the lines that name a file.

Shared by the readers of every format (``_parse`` for unified diffs and whole files,
``_search_replace`` for SEARCH/REPLACE blocks). Nothing here checks that a path is
safe or exists: that is ``_safety`` and ``_apply``.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["PATH_TOKEN", "as_path", "path_mentions", "strip_decorations"]

#: A path-like token: directories and a file name with an extension.
PATH_TOKEN: Final = re.compile(
    r"(?<![\w/.\-])((?:[\w.\-]+/)*[\w\-][\w.\-]*\.[A-Za-z0-9_]{1,10})(?![\w/\-])"
)


def path_mentions(lines: list[str]) -> list[str]:
    """Path-like tokens in prose lines, in order (``src/app.py``, ``app.py``)."""
    found: list[str] = []
    for line in lines:
        found.extend(m.group(1) for m in PATH_TOKEN.finditer(line))
    return found


def as_path(token: str) -> str | None:
    """``token`` if it reads as a file path (``src/app.py``, ``.git/config``, ``/etc/x``)."""
    token = token.strip().strip("`*'\"").rstrip(":").strip("`*'\"")
    if not token or any(c.isspace() for c in token):
        return None
    slashed = "/" in token or "\\" in token
    if PATH_TOKEN.fullmatch(token) or (slashed and re.fullmatch(r"[\w./\\~:-]+", token)):
        return token
    return None


def strip_decorations(line: str) -> str:
    """A line that may name a file, without markdown and labels (``**File:** `x.py`:``)."""
    stripped = line.strip().strip("#*").strip()
    for prefix in ("File:", "file:", "Path:", "path:", "Filename:", "filename:"):
        stripped = stripped.removeprefix(prefix).strip("*` ").strip()
    return stripped
