"""Plan a proposal against the workspace (pure: nothing written), then write the plan.

Planning parses the proposal, resolves and checks every path, locates every hunk
and computes every file's new bytes. Only a plan in which every hunk of every file
succeeded is written, file by file through a temporary file and a rename; if a write
fails, the files already written are restored.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from typing import final

from pytest_agent._atomic import write_atomic
from pytest_agent._types import Applied
from pytest_agent._types import Task
from pytest_agent.patch._locate import FUZZY_THRESHOLD
from pytest_agent.patch._locate import Match
from pytest_agent.patch._locate import apply_match
from pytest_agent.patch._locate import locate
from pytest_agent.patch._model import FileEdit
from pytest_agent.patch._model import Hunk
from pytest_agent.patch._model import PatchError
from pytest_agent.patch._parse import Format
from pytest_agent.patch._parse import parse_proposal
from pytest_agent.patch._safety import Limits
from pytest_agent.patch._safety import check_file
from pytest_agent.patch._safety import check_relative
from pytest_agent.patch._safety import check_target
from pytest_agent.patch._safety import check_test_edit
from pytest_agent.patch._text import FileText

__all__ = ["FileChange", "HunkReport", "PatchPlan", "plan_patch", "write_plan"]


@final
@dataclass(frozen=True)
class HunkReport:
    """How one hunk was placed."""

    #: Repository-relative path of the file.
    path: str
    #: ``"hunk 2"``, ``"SEARCH block 1"``...
    label: str
    #: ``exact``, ``drift``, ``whitespace``, ``fuzzy``, ``insert``, or ``whole`` (a whole
    #: file, a new or a deleted one).
    level: str
    #: The 1-based first line of the region it replaced, in the text it was applied to.
    line: int
    #: 1.0 except for fuzzy matches.
    score: float = 1.0


@final
@dataclass(frozen=True)
class FileChange:
    """One file's change: its bytes before (``None``: created) and after (``None``: deleted)."""

    path: str
    before: bytes | None
    after: bytes | None

    @property
    def action(self) -> Literal["create", "delete", "modify"]:
        if self.before is None:
            return "create"
        return "delete" if self.after is None else "modify"


@final
@dataclass(frozen=True)
class PatchPlan:
    """A proposal ready to write: every file's new bytes, computed without writing."""

    #: The resolved workspace root.
    root: Path
    format: Format
    changes: tuple[FileChange, ...]
    hunks: tuple[HunkReport, ...]

    @property
    def changed_files(self) -> tuple[str, ...]:
        return tuple(c.path for c in self.changes)

    def describe(self) -> str:
        """One line per hunk: where and how it applied."""
        return "\n".join(
            f"{h.path}: {h.label} at line {h.line} ({h.level}"
            + (f", score {h.score:.2f})" if h.level == "fuzzy" else ")")
            for h in self.hunks
        )


@final
@dataclass
class _State:
    rel: str
    before: bytes | None
    text: FileText | None
    eol_override: bool | None = None


def plan_patch(root: Path, text: str, *, task: Task, limits: Limits | None = None,
               timeout: float = 60.0, fuzzy_threshold: float = FUZZY_THRESHOLD,
               ) -> PatchPlan | Applied:
    """Compute what ``text`` would do in ``root`` without writing anything.

    :returns: a :class:`PatchPlan`, or an :class:`~pytest_agent.Applied` with
        ``ok=False`` naming the rule that refused the proposal.
    """
    try:
        return _plan(Path(os.path.realpath(root)), text, task, limits or Limits(),
                     time.monotonic() + timeout, fuzzy_threshold)
    except PatchError as exc:
        return Applied(ok=False, reason=exc.message, rule=exc.rule)
    except RecursionError:  # pragma: no cover - defensive: a pathological proposal
        return Applied(ok=False, reason="the proposal could not be parsed", rule="parse-error")


def _plan(root: Path, text: str, task: Task, limits: Limits, deadline: float,
          threshold: float) -> PatchPlan:
    if not text.strip():
        raise PatchError("empty", "the proposal is empty")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits.max_diff_bytes:
        raise PatchError("too-large", f"the proposal is {size} bytes, over the limit of "
                         f"{limits.max_diff_bytes}; send a smaller change")
    parsed = parse_proposal(text)
    states: dict[str, _State] = {}
    reports: list[HunkReport] = []
    for edit in parsed.edits:
        rel = _resolve(root, edit, task)
        real = check_target(root, rel)
        check_test_edit(root, rel, real, task)
        state = states.get(rel)
        if state is None:
            if len(states) >= limits.max_files:
                raise PatchError("too-large", f"the proposal touches more than "
                                 f"{limits.max_files} files")
            data = check_file(real, rel, limits)
            state = _State(rel, data, None if data is None else FileText.decode(data))
            states[rel] = state
        reports.extend(_apply_edit(state, edit, deadline, threshold))
    changes: list[FileChange] = []
    for state in states.values():
        after = _finish(state)
        if after == state.before:
            continue
        if after is not None and len(after) > limits.max_file_bytes:
            raise PatchError("too-large", f"{state.rel} would be {len(after)} bytes, over the "
                             f"limit of {limits.max_file_bytes}")
        changes.append(FileChange(state.rel, state.before, after))
    if not changes:
        raise PatchError("no-op", "the proposal changes nothing: applied, it leaves every file "
                         "as it is. Send a diff whose + and - lines differ")
    return PatchPlan(root, parsed.format, tuple(changes), tuple(reports))


# -- paths --------------------------------------------------------------------


def _exists(root: Path, rel: str) -> bool:
    return (root / rel).is_file()


def _strip_prefix(root: Path, raw: str, git: bool) -> str:
    """Drop git's ``a/``/``b/`` prefix unless the repository has such a directory."""
    rel = check_relative(raw)
    if rel[:2] in ("a/", "b/") and (git or not (root / rel[:1]).is_dir()):
        return check_relative(rel[2:])
    return rel


def _resolve(root: Path, edit: FileEdit, task: Task) -> str:
    """The repository-relative path ``edit`` is for (checked by :func:`check_relative`)."""
    if edit.path_source != "header" or edit.path is None:
        return _resolve_headerless(root, edit, task)
    names = [p for p in (edit.new_path, edit.old_path) if p is not None]
    rels = [_strip_prefix(root, p, edit.git_prefixed) for p in names]
    if edit.kind == "create":
        return rels[0]
    for rel in rels:
        if _exists(root, rel):
            return rel
    for rel in rels:
        found = _by_suffix(root, rel, task)
        if found is not None:
            return found
    return rels[0]


def _by_suffix(root: Path, rel: str, task: Task) -> str | None:
    """The one task file ending with ``rel`` (a model wrote ``app.py`` for ``src/app.py``)."""
    hits = {f for f in (check_relative(t) for t in task.files)
            if f.endswith("/" + rel) and _exists(root, f)}
    return hits.pop() if len(hits) == 1 else None


def _resolve_headerless(root: Path, edit: FileEdit, task: Task) -> str:
    existing: list[str] = []
    for hint in edit.hints:
        try:
            rel = _strip_prefix(root, hint, False)
        except PatchError:
            continue
        if _exists(root, rel):
            existing.append(rel)
        else:
            found = _by_suffix(root, rel, task)
            if found is not None:
                existing.append(found)
    task_files = [check_relative(t) for t in task.files]
    in_task = [r for r in existing if r in task_files]
    if in_task:
        return in_task[-1]
    if existing:
        return existing[-1]
    if len(task_files) == 1:
        return task_files[0]
    raise PatchError("parse-error", "the diff has no --- a/<path> / +++ b/<path> header and "
                     "names no existing file: add the headers")


# -- applying -------------------------------------------------------------------


def _apply_edit(state: _State, edit: FileEdit, deadline: float,
                threshold: float) -> list[HunkReport]:
    rel = state.rel
    if edit.kind == "delete":
        if state.text is None:
            raise PatchError("hunk-failed", f"{rel} cannot be deleted: it does not exist")
        reports = _apply_hunks(state, edit.hunks, False, deadline, threshold)
        if edit.hunks and any(line.strip() for line in state.text.lines):
            raise PatchError("hunk-failed", f"the deletion of {rel} does not remove all of its "
                             "lines; the file has more than the diff shows")
        state.text = None
        return [*reports, HunkReport(rel, "delete", "whole", 1)]
    if edit.kind == "whole":
        lines = list(edit.content or [])
        if state.text is None:
            state.text = _new_text(lines)
        else:
            nl = state.text.newline
            final = state.text.final_eol
            state.text.lines = lines
            state.text.ends = [nl] * len(lines)
            state.eol_override = final
        return [HunkReport(rel, "whole file", "whole", 1)]
    creating = edit.kind == "create" or (
        state.text is None and all(not h.old for h in edit.hunks)
    )
    if creating:
        if state.text is not None and any(state.text.lines):
            raise PatchError("hunk-failed", f"{rel} already exists: send a diff against its "
                             "current content instead of a new file")
        if edit.content is not None:
            lines = list(edit.content)
            hunks = edit.hunks
        else:
            lines = [text for h in edit.hunks for text in h.new]
            hunks = []
            if edit.hunks and edit.hunks[-1].new_no_eol:
                state.eol_override = False
        base = state.text
        state.text = _new_text(lines)
        if base is not None:
            state.text.encoding, state.text.bom = base.encoding, base.bom
        return [HunkReport(rel, "new file", "whole", 1),
                *_apply_hunks(state, hunks, True, deadline, threshold)]
    if state.text is None:
        raise PatchError("hunk-failed", f"{rel} does not exist: check the path, or create the "
                         "file with a diff from /dev/null")
    return _apply_hunks(state, edit.hunks, edit.sequential, deadline, threshold)


def _new_text(lines: list[str]) -> FileText:
    return FileText(lines, ["\n"] * len(lines), "utf-8", False)


def _located(text: FileText, rel: str, hunk: Hunk, expected: int | None, deadline: float,
             threshold: float) -> Match:
    try:
        return locate(text.lines, hunk, expected, deadline=deadline, threshold=threshold)
    except PatchError as exc:
        note = ""
        new = hunk.new
        if exc.rule == "hunk-failed" and new and any(x.strip() for x in new) and _contains(
                text.lines, new):
            note = "\n(The hunk's new lines are already in the file: was it applied before?)"
        raise PatchError(exc.rule, f"{rel}: {exc.message}{note}") from None


def _contains(lines: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return any(lines[i : i + n] == needle for i in range(len(lines) - n + 1))


def _apply_hunks(state: _State, hunks: list[Hunk], sequential: bool, deadline: float,
                 threshold: float) -> list[HunkReport]:
    text = state.text
    assert text is not None
    reports: list[HunkReport] = []
    if sequential:
        for hunk in hunks:
            match = _located(text, state.rel, hunk, None, deadline, threshold)
            _splice(state, text, hunk, match)
            reports.append(HunkReport(state.rel, hunk.label, match.level, match.start + 1,
                                      match.score))
        return reports
    placed: list[tuple[Match, int, Hunk]] = []
    drift = 0
    for index, hunk in enumerate(hunks):
        expected: int | None = None
        if hunk.old_start is not None:
            stated = hunk.old_start if not hunk.old else hunk.old_start - 1
            expected = max(0, min(len(text.lines), stated + drift))
        match = _located(text, state.rel, hunk, expected, deadline, threshold)
        if hunk.old_start is not None and match.level != "insert":
            drift = match.start - (hunk.old_start - 1)
        placed.append((match, index, hunk))
        reports.append(HunkReport(state.rel, hunk.label, match.level, match.start + 1,
                                  match.score))
    placed.sort(key=lambda p: (p[0].start, p[1]))
    for (a, _, ha), (b, _, hb) in itertools.pairwise(placed):
        if b.start < a.end:
            raise PatchError("hunk-failed", f"{state.rel}: {ha.label} and {hb.label} overlap "
                             f"(lines {a.start + 1}-{a.end} and {b.start + 1}-{b.end}); merge "
                             "them into one hunk")
    for match, _, hunk in reversed(placed):
        _splice(state, text, hunk, match)
    return reports


def _splice(state: _State, text: FileText, hunk: Hunk, match: Match) -> None:
    out = apply_match(text.lines, hunk, match)
    nl = text.newline
    at_end = match.end >= len(text.lines)
    new_lines = [t for t, _ in out]
    new_ends = [text.ends[src] if src is not None else nl for _, src in out]
    text.lines[match.start : match.end] = new_lines
    text.ends[match.start : match.end] = new_ends
    if at_end:
        if hunk.new_no_eol:
            state.eol_override = False
        elif hunk.old_no_eol:
            state.eol_override = True


def _finish(state: _State) -> bytes | None:
    text = state.text
    if text is None:
        return None
    if not text.lines:
        return b"\xef\xbb\xbf" if text.bom else b""
    original_final = True
    if state.before is not None and state.before:
        original_final = state.before.endswith((b"\n", b"\r"))
    final = original_final if state.eol_override is None else state.eol_override
    nl = text.newline
    for i in range(len(text.ends) - 1):
        if not text.ends[i]:
            text.ends[i] = nl
    text.ends[-1] = (text.ends[-1] or nl) if final else ""
    try:
        return text.encode()
    except UnicodeEncodeError as exc:
        raise PatchError("encoding", f"{state.rel} is {text.encoding}-encoded and the change "
                         f"adds characters it cannot hold ({exc.reason})") from None


# -- writing --------------------------------------------------------------------


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)


def write_plan(plan: PatchPlan) -> Applied:
    """Write ``plan``'s files (all or none: a failed write restores what was written)."""
    done: list[tuple[FileChange, Path]] = []
    try:
        targets = [(c, check_target(plan.root, c.path)) for c in plan.changes]
        for change, real in sorted(targets, key=lambda t: t[0].after is None):
            if change.after is None:
                # Delete the path named (a symlink inside the workspace: the link itself).
                real = plan.root / change.path
                os.unlink(real)
            else:
                _write_bytes(real, change.after)
            done.append((change, real))
    except PatchError as exc:
        return Applied(ok=False, reason=exc.message, rule=exc.rule)
    except OSError as exc:
        for change, real in reversed(done):
            with contextlib.suppress(OSError):
                if change.before is None:
                    os.unlink(real)
                else:
                    _write_bytes(real, change.before)
        return Applied(ok=False, reason=f"writing {exc.filename or 'a file'} failed: "
                       f"{exc.strerror or exc}; nothing was changed", rule="write-failed")
    return Applied(ok=True, changed_files=plan.changed_files)
