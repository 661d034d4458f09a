"""A parsed source file and text edits on it: splices of the original text, never unparse.

An :class:`Edit` replaces the characters ``[start, end)`` of the original text. Edits
keep the user's formatting and comments, so the diff is as small as the change and
stays lint-clean where the original was (issue #7: "minimal line-span edits").
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass
from dataclasses import field
from typing import final

__all__ = ["Edit", "SourceFile", "apply_edits", "unified_diff"]


@final
@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` of the file ``path`` by ``new``."""

    #: Path relative to the workspace root (posix).
    path: str
    start: int
    end: int
    new: str
    #: 1-based line of the edited code: where its suspiciousness is read.
    line: int
    #: The operator that made it (``"compare"``, ``"off-by-one"``, ...).
    op: str
    #: How likely this operator's edit is to be the fix, before localization (0..1).
    prior: float
    #: A short human description (``"<= -> <"``).
    what: str = field(default="", compare=False)
    #: Why this edit is a known overfitting pattern (``"deletes a return"``), or ``""``.
    #: Such edits are tried after the others and, when one wins, the proposal says
    #: "plausible only: review".
    risky: str = field(default="", compare=False)
    #: The replaced text (``text[start:end]``), when the operator recorded it.
    old: str = field(default="", compare=False, repr=False)
    #: A static hint's multiplier of the rank score (> 1: the code around says this
    #: edit is likely, e.g. it reads a name the function binds and never reads).
    hint: float = field(default=1.0, compare=False)

    @property
    def size(self) -> int:
        """Characters that really change (common prefix and suffix of the replaced and
        the new text left out): the ranking prefers small edits."""
        old, new = self.old, self.new
        if not old and self.end > self.start:
            return max(len(new), self.end - self.start)
        head = _common_prefix(old, new)
        old, new = old[head:], new[head:]
        return max(len(old), len(new)) - _common_prefix(old[::-1], new[::-1])

    def overlaps(self, other: Edit) -> bool:
        return self.path == other.path and self.start < other.end and other.start < self.end


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


@final
class SourceFile:
    """A module's text, its AST and a map from AST positions to text offsets."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.tree = ast.parse(text, filename=path)
        self.lines = text.splitlines(keepends=True)
        self._starts = [0]
        for line in self.lines:
            self._starts.append(self._starts[-1] + len(line))

    def offset(self, lineno: int, col_byte: int) -> int:
        """The text offset of AST position (``lineno``, UTF-8 byte column ``col_byte``)."""
        line = self.lines[lineno - 1] if lineno - 1 < len(self.lines) else ""
        # AST columns count UTF-8 bytes; text offsets count characters.
        col = len(line.encode("utf-8")[:col_byte].decode("utf-8", errors="ignore"))
        return self._starts[lineno - 1] + col

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end_line = node.end_lineno  # type: ignore[attr-defined]
        end_col = node.end_col_offset  # type: ignore[attr-defined]
        return start, self.offset(end_line, end_col)

    def segment(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.text[start:end]

    def line_start(self, lineno: int) -> int:
        return self._starts[lineno - 1]

    def indent_of(self, lineno: int) -> str:
        line = self.lines[lineno - 1]
        return line[: len(line) - len(line.lstrip())]


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits of one file (any order)."""
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.new + text[edit.end :]
    return text


def unified_diff(path: str, before: str, after: str) -> str:
    """A ``git apply``-able unified diff of one file, ``a/`` and ``b/`` prefixed."""
    a = before.splitlines(keepends=True)
    b = after.splitlines(keepends=True)
    out: list[str] = []
    for line in difflib.unified_diff(a, b, f"a/{path}", f"b/{path}", n=3):
        if line.endswith("\n"):
            out.append(line)
        else:
            # The file's last line has no newline: say so, as git does.
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)
