"""The parsed form of a proposal: files, hunks and the error every step raises."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Literal
from typing import final

from pytest_agent._types import Rule

# Rule is re-exported: it lives with Applied, in pytest_agent._types.
__all__ = ["FileEdit", "Hunk", "PatchError", "Rule"]

#: How a file is edited: hunks located in the file, or its whole new content.
EditKind = Literal["hunks", "create", "delete", "whole"]


@final
class PatchError(Exception):
    """A proposal is refused: ``rule`` names the rule, ``message`` is fit for a model."""

    def __init__(self, rule: Rule, message: str) -> None:
        super().__init__(message)
        self.rule: Rule = rule
        self.message = message


@final
@dataclass
class Hunk:
    """One hunk: the lines it expects (context and removed) and the lines it leaves.

    ``lines`` holds ``(tag, text)`` pairs, ``tag`` one of ``" "``, ``"-"``, ``"+"``,
    ``text`` without its line ending. ``old_start`` is the 1-based line the diff
    states (``None`` when it states none, as in SEARCH/REPLACE blocks).
    """

    lines: list[tuple[str, str]] = field(default_factory=list)
    old_start: int | None = None
    #: Counts as written in the ``@@`` header (``None`` when absent or unreadable).
    stated_old: int | None = None
    stated_new: int | None = None
    #: "\ No newline at end of file" after the old / the new side's last line.
    old_no_eol: bool = False
    new_no_eol: bool = False
    #: Where the hunk came from in the proposal, for error messages ("hunk 2").
    label: str = ""

    @property
    def old(self) -> list[str]:
        return [text for tag, text in self.lines if tag != "+"]

    @property
    def new(self) -> list[str]:
        return [text for tag, text in self.lines if tag != "-"]

    @property
    def counts_ok(self) -> bool:
        return self.stated_old == len(self.old) and self.stated_new == len(self.new)

    def render(self, limit: int = 40) -> str:
        """The hunk as a diff fragment (at most ``limit`` lines), for messages."""
        head = f"@@ -{self.old_start} @@" if self.old_start is not None else "@@"
        body = [f"{tag}{text}" for tag, text in self.lines]
        if len(body) > limit:
            body = [*body[:limit], f"... ({len(body) - limit} more lines)"]
        return "\n".join([head, *body])


@final
@dataclass
class FileEdit:
    """Everything a proposal does to one file.

    ``old_path``/``new_path`` are the paths as written (``None`` for ``/dev/null``,
    prefixes not yet stripped); ``kind`` says how ``hunks``/``content`` apply.
    """

    old_path: str | None
    new_path: str | None
    kind: EditKind = "hunks"
    hunks: list[Hunk] = field(default_factory=list)
    #: The whole new content (``kind == "whole"`` or ``"create"`` from a whole-file answer).
    content: list[str] | None = None
    #: The path came from a ``diff --git`` header or both ``a/``/``b/`` headers.
    git_prefixed: bool = False
    #: Where the path came from when the diff had no header ("prose", "task").
    path_source: str = "header"
    #: Paths mentioned in the prose before a headerless diff, in order (the last wins).
    hints: list[str] = field(default_factory=list)
    #: ``SEARCH``/``REPLACE`` blocks apply in order to the evolving text.
    sequential: bool = False

    @property
    def path(self) -> str | None:
        return self.new_path if self.new_path is not None else self.old_path
