"""SEARCH/REPLACE blocks (aider's edit format), each after the path of its file::

    src/app.py
    ```python
    <<<<<<< SEARCH
    def f():
        return 1
    =======
    def f():
        return 2
    >>>>>>> REPLACE
    ```

Each block becomes a hunk without a line number: lines common to SEARCH and REPLACE
are context (so they may be matched loosely), the others are removed or added.
Blocks apply in order, each to the text the blocks before it left.
"""

from __future__ import annotations

import difflib
import re
from typing import Final

from pytest_agent.patch._model import FileEdit
from pytest_agent.patch._model import Hunk
from pytest_agent.patch._model import PatchError
from pytest_agent.patch._paths import PATH_TOKEN
from pytest_agent.patch._paths import as_path
from pytest_agent.patch._paths import strip_decorations

__all__ = ["SEARCH_MARKER", "parse_search_replace", "search_replace_hunk"]

#: The line that opens a SEARCH/REPLACE block (also how ``_parse`` recognizes the format).
SEARCH_MARKER: Final = re.compile(r"^[ \t]*<{5,9} ?SEARCH\b")
_DIVIDER: Final = re.compile(r"^[ \t]*={5,9}[ \t]*$")
_REPLACE: Final = re.compile(r"^[ \t]*>{5,9} ?REPLACE\b")
_FENCE: Final = re.compile(r"^[ \t]*(`{3,}|~{3,})")


def _path_before(lines: list[str], i: int) -> str | None:
    """The path on one of the (at most three) non-blank lines before line ``i``."""
    seen = 0
    j = i - 1
    while j >= 0 and seen < 3:
        line = lines[j]
        j -= 1
        if not line.strip():
            continue
        if _REPLACE.match(line):
            return None
        seen += 1
        fence = _FENCE.match(line)
        text = line[fence.end():] if fence else line
        whole = as_path(strip_decorations(text))
        if whole is not None:
            return whole
        tokens = PATH_TOKEN.findall(text)
        if tokens:
            return str(tokens[-1])
        if fence:
            continue
    return None


def search_replace_hunk(search: list[str], replace: list[str], label: str) -> Hunk:
    """A hunk that turns ``search`` into ``replace``, sharing their common lines as context."""
    hunk = Hunk(label=label)
    matcher = difflib.SequenceMatcher(None, search, replace, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            hunk.lines.extend((" ", s) for s in search[a1:a2])
        else:
            hunk.lines.extend(("-", s) for s in search[a1:a2])
            hunk.lines.extend(("+", r) for r in replace[b1:b2])
    return hunk


def parse_search_replace(lines: list[str]) -> list[FileEdit]:
    """The edits of a proposal made of SEARCH/REPLACE blocks, one FileEdit per block run."""
    edits: list[FileEdit] = []
    current: FileEdit | None = None
    i = 0
    count = 0
    while i < len(lines):
        if not SEARCH_MARKER.match(lines[i]):
            i += 1
            continue
        count += 1
        path = _path_before(lines, i)
        search, replace, i = _read_block(lines, i, count)
        if path is None and current is not None:
            path = current.path
        if current is None or current.path != path:
            current = FileEdit(path, path, sequential=True,
                               path_source="header" if path else "prose")
            edits.append(current)
        _add_block(current, search, replace, count)
    edits = [e for e in edits if e.hunks or e.kind == "create"]
    if not edits:
        raise PatchError("no-op", "every SEARCH/REPLACE block replaces text with itself")
    return edits


def _read_block(lines: list[str], i: int, count: int) -> tuple[list[str], list[str], int]:
    """The SEARCH and REPLACE lines of the block whose marker is line ``i``, and the
    index of the line after it."""
    start = i
    i += 1
    search: list[str] = []
    while i < len(lines) and not _DIVIDER.match(lines[i]):
        if SEARCH_MARKER.match(lines[i]) or _REPLACE.match(lines[i]):
            break
        search.append(lines[i])
        i += 1
    if i >= len(lines) or not _DIVIDER.match(lines[i]):
        raise PatchError("parse-error", f"SEARCH block {count} (line {start + 1}) has no "
                         "======= line: write <<<<<<< SEARCH, the old lines, =======, the "
                         "new lines, >>>>>>> REPLACE")
    i += 1
    replace: list[str] = []
    while i < len(lines) and not _REPLACE.match(lines[i]):
        if SEARCH_MARKER.match(lines[i]):
            break
        replace.append(lines[i])
        i += 1
    if i >= len(lines) or not _REPLACE.match(lines[i]):
        raise PatchError("parse-error", f"SEARCH block {count} (line {start + 1}) has no "
                         ">>>>>>> REPLACE line")
    return search, replace, i + 1


def _add_block(edit: FileEdit, search: list[str], replace: list[str], count: int) -> None:
    """Add one block to its file's edit: a hunk, or (empty SEARCH) the new file's content."""
    if not any(s.strip() for s in search):
        if edit.hunks or edit.kind != "hunks":
            raise PatchError("parse-error", f"SEARCH block {count} is empty: quote the "
                             "lines to replace (an empty SEARCH only creates a new file)")
        edit.kind = "create"
        edit.content = replace
        return
    if search != replace:
        edit.hunks.append(search_replace_hunk(search, replace, f"SEARCH block {count}"))
