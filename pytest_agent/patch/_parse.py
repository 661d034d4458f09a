"""Read a proposal: a unified diff (strict or sloppy), SEARCH/REPLACE blocks, or whole files.

Well-formed unified diffs (headers present, every ``@@`` count right) are read by
``unidiff``; anything else by the tolerant reader below, which recounts hunks,
accepts missing headers and prefixes, and skips prose and markdown fences. The
result is a list of :class:`~pytest_agent.patch._model.FileEdit`; paths are not
yet checked or resolved (that needs the workspace, see ``_apply``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from typing import Literal
from typing import final

from pytest_agent.patch._model import FileEdit
from pytest_agent.patch._model import Hunk
from pytest_agent.patch._model import PatchError
from pytest_agent.patch._paths import PATH_TOKEN
from pytest_agent.patch._paths import as_path
from pytest_agent.patch._paths import path_mentions
from pytest_agent.patch._paths import strip_decorations
from pytest_agent.patch._safety import check_relative
from pytest_agent.patch._search_replace import SEARCH_MARKER
from pytest_agent.patch._search_replace import parse_search_replace

__all__ = ["Format", "Parsed", "parse_proposal", "split_fences"]

Format = Literal["unified", "search-replace", "whole-file"]

_HUNK_HEADER: Final = re.compile(r"^@@+\s*-(\d+)(?:,(\d+))?\s+\+(\d+)(?:,(\d+))?\s*@@+")
_FENCE_OPEN: Final = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[ \t]*(.*)$")
_BINARY: Final = re.compile(r"^(GIT binary patch|Binary files .* differ)\s*$", re.MULTILINE)
#: A line standing for omitted code ("# ... rest of the file unchanged"): a whole-file
#: answer holding one is not a whole file. A bare ``...`` is code (an Ellipsis body).
_ELISION: Final = re.compile(
    r"^\s*(?:"
    r"(?:(?:#|//)\s*)?(?:\.\.\.|…)\s*[(#]?\s*"  # "# ... existing code ..."
    r"(?:rest|existing|remaining|unchanged|omitted|same|other|previous|more|code)\b"
    r"|(?:#|//)\s*(?:rest of (?:the )?(?:file|code|module|class|function)|"
    r"(?:existing|remaining|other) code)\b"
    r")",
    re.IGNORECASE,
)
_RENAME_PREFIXES: Final = ("rename from ", "rename to ", "copy from ", "copy to ")
_META_PREFIXES: Final = (
    "index ", "new file mode", "deleted file mode", "old mode", "new mode", "similarity index",
    "dissimilarity index", "copy from", "copy to", "Only in ",
)


@final
@dataclass
class Parsed:
    """A parsed proposal: its format and the edits, in the order written."""

    format: Format
    edits: list[FileEdit]


@final
@dataclass
class _Block:
    """A fenced block: its info string, body lines, and the prose lines just before it."""

    info: str
    body: list[str]
    before: list[str]


def split_fences(lines: list[str]) -> tuple[list[_Block], list[str]]:
    """The fenced blocks of ``lines`` and the prose lines outside any fence."""
    blocks: list[_Block] = []
    prose: list[str] = []
    since_last: list[str] = []
    i = 0
    while i < len(lines):
        m = _FENCE_OPEN.match(lines[i])
        if not m:
            prose.append(lines[i])
            since_last.append(lines[i])
            i += 1
            continue
        fence = m.group(1)
        closer = re.compile(rf"^[ \t]{{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        body: list[str] = []
        i += 1
        while i < len(lines) and not closer.match(lines[i]):
            body.append(lines[i])
            i += 1
        i += 1  # the closing fence (or the end of an unclosed block)
        blocks.append(_Block(m.group(2).strip(), body, since_last))
        since_last = []
    return blocks, prose


def _looks_like_diff(lines: list[str]) -> bool:
    has_hunk = any(line.startswith("@@") for line in lines)
    has_header = any(line.startswith("--- ") for line in lines) and any(
        line.startswith("+++ ") for line in lines
    )
    return has_hunk or has_header or any(line.startswith("diff --git ") for line in lines)


def parse_proposal(text: str) -> Parsed:
    """Parse a proposal; raise :class:`PatchError` when it is none of the known formats."""
    if _BINARY.search(text):
        raise PatchError("binary", "binary patches are not accepted: edit text files only")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the text's final newline, not a blank line
    if any(SEARCH_MARKER.match(line) for line in lines):
        return Parsed("search-replace", parse_search_replace(lines))
    blocks, prose = split_fences(lines)
    diff_blocks = [b for b in blocks if _looks_like_diff(b.body)]
    if diff_blocks:
        edits: list[FileEdit] = []
        for block in diff_blocks:
            edits.extend(_parse_unified(block.body, path_mentions(block.before), edits))
        return Parsed("unified", _nonempty(edits))
    if _looks_like_diff(prose):
        return Parsed("unified", _nonempty(_parse_unified(lines, [], [])))
    whole = _parse_whole_files(blocks)
    if whole:
        return Parsed("whole-file", whole)
    raise PatchError(
        "parse-error",
        "no change found: answer with a unified diff (--- a/path, +++ b/path, @@ hunks), "
        "SEARCH/REPLACE blocks after the file's path, or the whole file in a fenced block "
        "after its path",
    )


def _nonempty(edits: list[FileEdit]) -> list[FileEdit]:
    kept = [e for e in edits if e.hunks or e.kind == "delete"]
    if not kept:
        raise PatchError("parse-error", "the diff has no hunks (no @@ sections with changes)")
    return kept


# -- unified diffs ------------------------------------------------------------


def _clean_path(raw: str) -> str | None:
    path = raw.strip()
    if "\t" in path:  # "--- a/x.py\t2024-01-01 10:00:00" (GNU diff timestamps)
        path = path.split("\t", 1)[0]
    path = path.strip()
    if len(path) >= 2 and path[0] == path[-1] == '"':
        path = path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    if path in ("/dev/null", "dev/null", ""):
        return None
    return path


def _split_git_header(rest: str) -> tuple[str | None, str | None]:
    """``a/x.py b/x.py`` from ``diff --git a/x.py b/x.py`` (names may hold spaces)."""
    rest = rest.strip()
    if rest.startswith('"'):
        parts = re.findall(r'"(?:[^"\\]|\\.)*"|\S+', rest)
        if len(parts) == 2:
            return _clean_path(parts[0]), _clean_path(parts[1])
    half = rest.find(" b/")
    if rest.startswith("a/") and half > 0:
        return _clean_path(rest[:half]), _clean_path(rest[half + 1 :])
    parts = rest.split()
    if len(parts) == 2:
        return _clean_path(parts[0]), _clean_path(parts[1])
    return None, None


class _Reader:
    """The tolerant unified-diff reader: a small state machine over lines."""

    def __init__(self, hints: list[str], previous: list[FileEdit]) -> None:
        self.edits: list[FileEdit] = []
        self.hints = list(hints)
        self.previous = previous
        self.file: FileEdit | None = None
        self.hunk: Hunk | None = None
        self.git_header = False  # the current file began with "diff --git"
        self.hints_seen = 0  # how many hints the current headerless file was named from

    def new_file(self, old: str | None, new: str | None, *, git: bool) -> FileEdit:
        edit = FileEdit(old, new, git_prefixed=git)
        self.edits.append(edit)
        self.file = edit
        self.hunk = None
        return edit

    def headerless_file(self) -> FileEdit:
        """A hunk came before any header: name the file later, from prose or the task."""
        edit = FileEdit(None, None, path_source="prose")
        self.hints_seen = len(self.hints)
        candidates = list(self.hints)
        if not candidates and self.previous:
            last = self.previous[-1]
            if last.path is not None:
                candidates.append(last.path)
                edit.git_prefixed = last.git_prefixed
        edit.hints = candidates
        self.edits.append(edit)
        self.file = edit
        return edit

    def read(self, lines: list[str]) -> list[FileEdit]:
        i = 0
        while i < len(lines):
            line = lines[i]
            if self.hunk is not None and self._hunk_line(line, lines, i):
                i += 1
                continue
            self._end_hunk()
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            i += self._between_hunks(line, nxt, lines)
        self._end_hunk()
        for edit in self.edits:
            _classify(edit)
        return self.edits

    def _between_hunks(self, line: str, nxt: str, lines: list[str]) -> int:
        """Read a line outside any hunk (a header, a hunk's start, metadata or prose);
        return how many lines it took (a ``---``/``+++`` pair takes two)."""
        if line.startswith("diff --git "):
            old, new = _split_git_header(line[len("diff --git ") :])
            self.new_file(old, new, git=True)
            self.git_header = True
        elif line.startswith("--- ") and nxt.startswith("+++ "):
            old, new = _clean_path(line[4:]), _clean_path(nxt[4:])
            if self.git_header and self.file is not None and not self.file.hunks:
                self.file.old_path, self.file.new_path = old, new
            else:
                self.new_file(old, new, git=False)
            self.git_header = False
            return 2
        elif line.startswith("+++ ") or (line.startswith("--- ") and nxt.startswith("@@")):
            path = _clean_path(line[4:])
            self.new_file(path, path, git=False)
            self.git_header = False
        elif line.startswith("@@"):
            self._start_hunk(line)
        elif line.startswith("deleted file mode") and self.file is not None:
            self.file.kind = "delete"
        elif line.startswith(_RENAME_PREFIXES):
            self._refuse_rename(lines)
        elif not line.startswith(_META_PREFIXES):
            self.hints.extend(path_mentions([line]))
        return 1

    def _refuse_rename(self, lines: list[str]) -> None:
        for other in lines:  # name the path rule first, if one is broken
            if other.startswith(_RENAME_PREFIXES):
                check_relative(other.split(" ", 2)[2])
        for path in (self.file.old_path, self.file.new_path) if self.file else ():
            if path is not None:
                check_relative(path)
        raise PatchError(
            "parse-error",
            "renames and copies are not supported: create the new file with a full "
            "diff (--- /dev/null) and delete the old one (+++ /dev/null)",
        )

    def _start_hunk(self, line: str) -> None:
        if self.file is None or (
            self.file.path_source != "header" and len(self.hints) > self.hints_seen
        ):
            self.headerless_file()
        assert self.file is not None
        m = _HUNK_HEADER.match(line)
        hunk = Hunk(label=f"hunk {len(self.file.hunks) + 1}")
        if m:
            hunk.old_start = int(m.group(1))
            hunk.stated_old = int(m.group(2)) if m.group(2) is not None else 1
            hunk.stated_new = int(m.group(4)) if m.group(4) is not None else 1
        self.hunk = hunk
        self.file.hunks.append(hunk)

    def _hunk_line(self, line: str, lines: list[str], i: int) -> bool:
        """Take ``line`` into the current hunk; ``False`` when it ends the hunk."""
        hunk = self.hunk
        assert hunk is not None
        remaining_old = None if hunk.stated_old is None else hunk.stated_old - len(hunk.old)
        remaining_new = None if hunk.stated_new is None else hunk.stated_new - len(hunk.new)
        counted = remaining_old is not None and remaining_new is not None
        if line.startswith("\\"):
            if hunk.lines:
                tag = hunk.lines[-1][0]
                if tag in " -":
                    hunk.old_no_eol = True
                if tag in " +":
                    hunk.new_no_eol = True
            return True
        if line.startswith(("--- ", "+++ ")) and not (counted and (remaining_old or 0) > 0 and (
                remaining_new or 0) > 0):
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if line.startswith("--- ") and nxt.startswith("+++ "):
                return False
            if line.startswith("+++ ") and nxt.startswith("@@"):
                return False
        if line.startswith(("diff --git ", "@@")):
            return False
        if line == "":
            hunk.lines.append((" ", ""))
            return True
        tag = line[0]
        if tag in " -+":
            hunk.lines.append((tag, line[1:]))
            return True
        # A context line that lost its leading space (models do this), when the hunk goes
        # on right after it and its counts, if any, are not complete: context as written.
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        complete = counted and (remaining_old or 0) <= 0 and (remaining_new or 0) <= 0
        if not complete and nxt[:1] in ("-", "+", " ") and not nxt.startswith(("--- ", "+++ ")) \
                and not _FENCE_OPEN.match(line):
            hunk.lines.append((" ", line))
            return True
        return False

    def _end_hunk(self) -> None:
        hunk = self.hunk
        if hunk is None:
            return
        self.hunk = None
        # Blank lines closing a hunk are usually the gap before prose or a fence; keep
        # them only when the stated counts say they belong to the hunk.
        while hunk.lines and hunk.lines[-1] == (" ", "") and not hunk.counts_ok:
            hunk.lines.pop()
        if not any(tag in "+-" for tag, _ in hunk.lines) and self.file is not None:
            self.file.hunks.remove(hunk)


def _classify(edit: FileEdit) -> None:
    if edit.kind == "delete":
        return
    if edit.old_path is None and edit.new_path is not None and edit.path_source == "header":
        edit.kind = "create"
    elif edit.new_path is None and edit.old_path is not None:
        edit.kind = "delete"


def _parse_unified(lines: list[str], hints: list[str], previous: list[FileEdit]) -> list[FileEdit]:
    edits = _Reader(hints, previous).read(lines)
    well_formed = bool(edits) and all(
        e.path_source == "header" and e.hunks and all(h.counts_ok for h in e.hunks)
        for e in edits
    )
    if well_formed:
        strict = _parse_with_unidiff("\n".join(lines) + "\n")
        if strict is not None and _same(strict, edits):
            return strict
    return edits


def _same(a: list[FileEdit], b: list[FileEdit]) -> bool:
    return [(e.path, [h.lines for h in e.hunks]) for e in a] == [
        (e.path, [h.lines for h in e.hunks]) for e in b
    ]


def _parse_with_unidiff(text: str) -> list[FileEdit] | None:
    """The edits of a well-formed diff as ``unidiff`` reads it (``None`` if it cannot)."""
    # Lazily: installing the plugin must not import unidiff at pytest start.
    from unidiff.errors import UnidiffParseError
    from unidiff.patch import PatchSet

    try:
        patch = PatchSet(text)
    except (UnidiffParseError, ValueError, IndexError):
        return None
    edits: list[FileEdit] = []
    for pf in patch:
        if pf.is_binary_file:
            raise PatchError("binary", "binary patches are not accepted: edit text files only")
        source = _clean_path(str(pf.source_file))
        target = _clean_path(str(pf.target_file))
        git = str(pf.patch_info or "").startswith("diff --git") or (
            (source or "a/").startswith("a/") and (target or "b/").startswith("b/")
        )
        edit = FileEdit(source, target, git_prefixed=git)
        for number, h in enumerate(pf, 1):
            hunk = Hunk(old_start=int(h.source_start), stated_old=int(h.source_length),
                        stated_new=int(h.target_length), label=f"hunk {number}")
            for ln in h:
                kind = str(ln.line_type)
                if kind == "\\":
                    if hunk.lines and hunk.lines[-1][0] in " -":
                        hunk.old_no_eol = True
                    if hunk.lines and hunk.lines[-1][0] in " +":
                        hunk.new_no_eol = True
                    continue
                value = str(ln.value)
                if value.endswith("\n"):
                    value = value[:-1]
                hunk.lines.append((kind, value))
            if any(tag in "+-" for tag, _ in hunk.lines):
                edit.hunks.append(hunk)
        # Not pf.is_removed_file: unidiff calls emptying a file ("+0,0") a removal.
        if target is None:
            edit.kind = "delete"
        _classify(edit)
        edits.append(edit)
    return edits


# -- whole files --------------------------------------------------------------


def _block_path(block: _Block) -> str | None:
    """The path a fenced block is given by: its info string or the line just before it."""
    for token in block.info.split()[1:] or block.info.split():
        path = as_path(token)
        if path is not None:
            return path
    before = [x for x in block.before if x.strip()][-1:]
    for line in before:
        path = as_path(strip_decorations(line))
        if path is not None:
            return path
        tokens = PATH_TOKEN.findall(line)
        if len(tokens) == 1 and line.rstrip().endswith(":"):
            return str(tokens[0])
    return None


def _parse_whole_files(blocks: list[_Block]) -> list[FileEdit]:
    edits: list[FileEdit] = []
    for block in blocks:
        path = _block_path(block)
        if path is None:
            continue
        if any(_ELISION.match(line) for line in block.body):
            raise PatchError(
                "parse-error",
                f"the whole-file answer for {path} elides code (a '...' line): give the "
                "complete file, or a unified diff",
            )
        edits.append(FileEdit(path, path, kind="whole", content=list(block.body),
                              path_source="header"))
    return edits
