"""Candidate generation and ranking: suspiciousness x operator prior x edit size.

Candidates are produced lazily in rank order; each is deduplicated (two edits
that give the same AST are one candidate), skipped when it was proposed in an
earlier attempt, and compiled before it is handed to a worker.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import heapq
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import final

from pytest_agent._types import Location
from pytest_agent.engines.offline._evidence import Evidence
from pytest_agent.engines.offline._operators import span_mutations
from pytest_agent.engines.offline._source import Edit
from pytest_agent.engines.offline._source import SourceFile
from pytest_agent.engines.offline._source import apply_edits
from pytest_agent.engines.offline._source import unified_diff
from pytest_agent.localize._paths import is_test_path

__all__ = ["Candidate", "Suspiciousness", "candidates", "is_test_file", "pairs", "rank_singles",
           "same_edits", "with_copies"]

#: A line inside a suspicious function that localization did not score (not covered,
#: or where a missing statement would go) gets this share of its function's score.
FUNCTION_SHARE = 0.3
#: Functions and lines of the localization that are searched.
MAX_FUNCTIONS = 6
MAX_LINES = 60
#: Characters of an edit at which its size factor is one half: a one-token edit
#: scores ~0.97, an inserted guard ~0.6 (smaller edits are more often right, and
#: change less behaviour when they are not).
HALF_SIZE = 60
#: Places of one file that a systematic edit changes together, at most.
MAX_COPIES = 4


def is_test_file(path: str) -> bool:
    """Test code and conftests are never edited: the tests are the specification (the
    same rule that keeps them out of localization's ranking)."""
    return is_test_path(Path(path))


@final
@dataclass
class Suspiciousness:
    """Scores in 0..1 per (file, line) and the function spans to search."""

    lines: dict[str, dict[int, float]] = field(default_factory=dict)
    #: (path, first line, last line, score) of the searched functions, best first.
    spans: list[tuple[str, int, int, float]] = field(default_factory=list)

    @classmethod
    def from_locations(
        cls, functions: Iterable[Location], lines: Iterable[Location], exclude: set[str]
    ) -> Suspiciousness:
        susp = cls()
        fns = [f for f in functions if f.path.endswith(".py") and f.path not in exclude
               and not is_test_file(f.path) and f.function != "<module>"][:MAX_FUNCTIONS]
        top_fn = max((f.score for f in fns), default=0.0) or 1.0
        for f in fns:
            share = max(f.score, 0.0) / top_fn
            susp.spans.append((f.path, f.start_line, f.end_line, share))
            per_line = susp.lines.setdefault(f.path, {})
            for n in range(f.start_line, f.end_line + 1):
                per_line[n] = max(per_line.get(n, 0.0), FUNCTION_SHARE * share)
            if f.line is not None:
                per_line[f.line] = max(per_line.get(f.line, 0.0), share)
        kept = [ln for ln in lines if ln.path in susp.lines][:MAX_LINES]
        top_line = max((ln.score for ln in kept), default=0.0) or 1.0
        for ln in kept:
            n = ln.line if ln.line is not None else ln.start_line
            per_line = susp.lines[ln.path]
            per_line[n] = max(per_line.get(n, 0.0), max(ln.score, 0.0) / top_line)
        return susp

    def score(self, path: str, line: int) -> float:
        return self.lines.get(path, {}).get(line, 0.0)


@final
@dataclass(frozen=True)
class Candidate:
    """One or more edits, with their rank score and the resulting files."""

    edits: tuple[Edit, ...]
    score: float
    #: New text per changed file (root-relative path).
    files: Mapping[str, str]
    #: The original text of every changed file (the diff is made from it when asked:
    #: most candidates fail and never need one).
    before: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def diff(self) -> str:
        return "".join(unified_diff(p, self.before[p], self.files[p]) for p in sorted(self.files))

    @cached_property
    def nodes(self) -> int:
        """AST nodes of the changed files: among passing candidates the smallest program
        wins (counted when asked: only passing candidates are compared)."""
        return sum(sum(1 for _ in ast.walk(ast.parse(text))) for text in self.files.values())

    @property
    def description(self) -> str:
        return "; ".join(f"{e.op} at {e.path}:{e.line} ({e.what})" for e in self.edits)


def rank_singles(sources: Mapping[str, SourceFile], susp: Suspiciousness,
                 evidence: Evidence | None = None) -> list[Edit]:
    """Every single edit in the searched spans, best first."""
    scored: list[tuple[float, int, int, Edit]] = []
    spans: dict[str, dict[tuple[int, int], int]] = {}  # per file: span -> its search order
    for order, (path, first, last, _) in enumerate(susp.spans):
        if path in sources:
            spans.setdefault(path, {}).setdefault((first, last), order)
    for path, ranked in spans.items():
        # One pass per file (its module facts gathered once), edits kept in span order.
        for index, edit in span_mutations(sources[path], list(ranked), evidence):
            s = edit_score(edit, susp, evidence)
            if s > 0:
                scored.append((s, list(ranked.values())[index], len(scored), edit))
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    return [e for _, _, _, e in scored]


def edit_score(edit: Edit, susp: Suspiciousness, evidence: Evidence | None = None) -> float:
    """Suspiciousness of the edited line x the operator's prior x the edit's size factor
    (x what the failing tests' evidence says of this kind of edit)."""
    score = susp.score(edit.path, edit.line) * edit.prior * edit.hint * HALF_SIZE / (
        HALF_SIZE + edit.size)
    return score * evidence.factor(edit) if evidence is not None else score


def _normalize(diff: str) -> str:
    return "\n".join(line.rstrip() for line in diff.strip().splitlines())


def _edited_lines(text: str, edits: list[Edit]) -> list[tuple[int, int]]:
    """The line ranges (1-based, inclusive, a line more on each side) that ``edits``
    (non-overlapping) write in the result of applying them to ``text``. Too wide is
    safe: a statement counted as edited is only dumped and compiled anew."""
    ranges: list[tuple[int, int]] = []
    shift = 0
    for edit in sorted(edits, key=lambda e: e.start):
        line = text.count("\n", 0, edit.start) + 1 + shift
        ranges.append((line - 1, line + edit.new.count("\n") + 1))
        shift += edit.new.count("\n") - text.count("\n", edit.start, edit.end)
    return ranges


def _original_lines(text: str, edits: list[Edit]) -> list[tuple[int, int]]:
    """The line ranges (1-based, inclusive, a line more on each side) of the original
    ``text`` that ``edits`` replace."""
    return [(text.count("\n", 0, e.start), text.count("\n", 0, e.end) + 2) for e in edits]


class _Module:
    """The original module's top-level statements, dumped once: a candidate's AST is
    fingerprinted and compiled piece by piece, only the edited pieces anew (dumping and
    compiling a 2,500-line module took a third of a second per candidate, as long as
    validating one).

    A piece is a top-level statement, or a statement of a top-level class's body (a
    module whose code is one big class, as ``inflect``'s ``engine``, would otherwise
    dump and compile the whole class per candidate). An edit inside one top-level def or
    one def of a top-level class (``regions``) is parsed, dumped and compiled alone,
    without parsing the edited module; any other edit, or one whose piece does not
    parse or compile alone, takes the whole module's path. Both give the same
    fingerprint (:meth:`fingerprint`), a function of the edited module's AST.
    """

    def __init__(self, text: str, path: str) -> None:
        tree = ast.parse(text, filename=path)
        self.text = text
        self.path = path
        self.parts: list[str | list[str]] = [_piece_dumps(stmt) for stmt in tree.body]
        self.extents = [(stmt.lineno, stmt.end_lineno or stmt.lineno) for stmt in tree.body]
        self.future = [stmt for stmt in tree.body if isinstance(stmt, ast.ImportFrom)
                       and stmt.module == "__future__"]
        source = SourceFile(path, text)
        #: (text start, text end, top-level index, index in its class body or -1) of each
        #: top-level def and each def of a top-level class, decorators included, whole
        #: lines (its end is the start of the line after the def).
        self.regions: list[tuple[int, int, int, int]] = []
        for i, stmt in enumerate(tree.body):
            if isinstance(stmt, ast.ClassDef):
                for j, member in enumerate(stmt.body):
                    if isinstance(member, _DEF_NODES):
                        self.regions.append((*_def_span(source, member), i, j))
            elif isinstance(stmt, _DEF_NODES):
                self.regions.append((*_def_span(source, stmt), i, -1))

    def fingerprint(self, text: str, edits: list[Edit]) -> str:
        """The fingerprint of the module ``edits`` make (``text`` is its edited text):
        the dumps of its pieces, the edited ones anew. Raises ``SyntaxError`` (or
        ``ValueError``) when the edited module does not compile."""
        quick = self._by_region(edits)
        return quick if quick is not None else self._whole(text, edits)

    def _whole(self, text: str, edits: list[Edit]) -> str:
        """The fingerprint from the whole edited module (parsed; its edited top-level
        statements dumped and compiled)."""
        tree = ast.parse(text, filename=self.path)
        if len(tree.body) != len(self.parts):
            compile(tree, self.path, "exec", dont_inherit=True)
            return "module:" + ast.dump(tree)
        edited = _edited_lines(self.text, edits)
        before = _original_lines(self.text, edits)
        changed: list[ast.stmt] = []
        parts: list[str] = []
        # An edit changes text on its lines only; the line shift of the statements after
        # an insertion is not part of a dump (positions are left out). A statement is
        # edited when its lines meet an edit's, in the edited text (an inserted line that
        # joins it) or in the original (a deleted last line that it loses).
        for stmt, original, (lo, hi) in zip(tree.body, self.parts, self.extents, strict=True):
            last = stmt.end_lineno or stmt.lineno
            if any(first <= last and stmt.lineno <= end for first, end in edited) or any(
                    first <= hi and lo <= end for first, end in before):
                changed.append(stmt)
                parts.append(_joined(_piece_dumps(stmt)))
            else:
                parts.append(_joined(original))
        # Compile-time checks (``return`` outside a function, ``nonlocal``...) are local
        # to a statement's scopes: compiling the edited statements is compiling the module.
        compile(ast.Module(body=[*self.future, *changed], type_ignores=[]), self.path, "exec",
                dont_inherit=True)
        return "\0".join(parts)

    def _by_region(self, edits: list[Edit]) -> str | None:
        """The fingerprint from the edited defs alone, or ``None`` when an edit is not
        inside one def (or a def does not parse or compile alone: the module's path
        decides then)."""
        by_region: dict[tuple[int, int, int, int], list[Edit]] = {}
        for edit in edits:
            region = next((r for r in self.regions
                           if r[0] <= edit.start and edit.end <= r[1] and edit.start < r[1]),
                          None)
            if region is None:
                return None
            by_region.setdefault(region, []).append(edit)
        parts: list[str | list[str]] = list(self.parts)
        for (start, end, i, j), inside in by_region.items():
            piece = apply_edits(self.text[start:end], [
                replace(e, start=e.start - start, end=e.end - start) for e in inside])
            try:
                if j < 0:
                    tree = ast.parse(piece, filename=self.path)
                    body = tree.body
                else:  # a def of a class body: parsed (and compiled) in a class of its own
                    tree = ast.parse("class _:\n" + piece, filename=self.path)
                    body = tree.body[0].body if len(tree.body) == 1 and isinstance(
                        tree.body[0], ast.ClassDef) else []
                if len(body) != 1 or not isinstance(body[0], _DEF_NODES):
                    return None
                compile(ast.Module(body=[*self.future, *tree.body], type_ignores=[]),
                        self.path, "exec", dont_inherit=True)
            except (SyntaxError, ValueError):
                return None
            dump = ast.dump(body[0])
            if j < 0:
                parts[i] = dump
            else:
                members = parts[i]
                assert isinstance(members, list)
                members = list(members)
                members[j + 1] = dump  # [0] is the class without its body
                parts[i] = members
        return "\0".join(_joined(p) for p in parts)


_DEF_NODES = (ast.FunctionDef, ast.AsyncFunctionDef)


def _piece_dumps(stmt: ast.stmt) -> str | list[str]:
    """A top-level statement's dump; for a class, the dump of the class without its body
    then each statement of its body's."""
    if not isinstance(stmt, ast.ClassDef):
        return ast.dump(stmt)
    head = copy.copy(stmt)
    head.body = []
    return [ast.dump(head), *(ast.dump(member) for member in stmt.body)]


def _joined(part: str | list[str]) -> str:
    # A dump never holds "\1" (``ast.dump`` writes strings with ``repr``).
    return part if isinstance(part, str) else "class:" + "\1".join(part)


def _def_span(source: SourceFile, node: ast.FunctionDef | ast.AsyncFunctionDef,
              ) -> tuple[int, int]:
    """Text offsets of a def's whole lines, its decorators included."""
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    last = node.end_lineno or node.lineno
    end = source.line_start(last + 1) if last < len(source.lines) else len(source.text)
    return source.line_start(first), end


def candidates(
    groups: Iterable[tuple[tuple[Edit, ...], float]],
    sources: Mapping[str, SourceFile],
    previous_diffs: Iterable[str],
    seen: set[str],
) -> Iterator[Candidate]:
    """Build, dedupe and compile candidates from edit groups, in the given order.

    :param seen: AST fingerprints already produced (shared across calls, so pairs do
        not repeat singles); updated in place.
    """
    previous = {_normalize(d) for d in previous_diffs}
    modules: dict[str, _Module] = {}
    for edits, score in groups:
        files: dict[str, str] = {}
        by_path: dict[str, list[Edit]] = {}
        for e in edits:
            by_path.setdefault(e.path, []).append(e)
        fingerprint = hashlib.sha256()
        ok = True
        for path in sorted(by_path):
            original = sources[path].text
            text = apply_edits(original, by_path[path])
            if path not in modules:
                modules[path] = _Module(original, path)
            try:
                dump = modules[path].fingerprint(text, by_path[path])
            except (SyntaxError, ValueError):
                ok = False
                break
            files[path] = text
            fingerprint.update(path.encode() + b"\0" + dump.encode() + b"\0")
        if not ok:
            continue
        key = fingerprint.hexdigest()
        if key in seen:
            continue
        seen.add(key)
        if all(files[p] == sources[p].text for p in files):
            continue  # no change (the diff would be empty)
        cand = Candidate(edits=tuple(edits), score=score, files=files,
                         before={p: sources[p].text for p in files})
        if previous and _normalize(cand.diff) in previous:
            continue
        yield cand


def pairs(
    singles: list[tuple[Edit, float]], limit: int
) -> Iterator[tuple[tuple[Edit, ...], float]]:
    """Pairs of non-overlapping edits from ``singles`` (best first), best product first."""
    top = singles[:limit]
    found: list[tuple[float, int, int]] = []
    for i, (a, sa) in enumerate(top):
        for j in range(i + 1, len(top)):
            b, sb = top[j]
            if a.overlaps(b) or (a.path == b.path and a.line == b.line and a.op == b.op):
                continue
            found.append((sa * sb, i, j))
    found.sort(key=lambda t: (-t[0], t[1], t[2]))
    for s, i, j in found:
        yield (top[i][0], top[j][0]), s


def same_edits(singles: Iterable[Edit]) -> list[tuple[Edit, ...]]:
    """Edits making the same change (operator, replaced and new text) at several places
    of one file (``singles`` best first): the two best-ranked copies, and all copies (at
    most :data:`MAX_COPIES`) when there are more.

    A mistake written twice is fixed twice: developers copy code, and a fix applies to
    every copy (systematic edits, Meng et al.'s LASE; a wrong regex quantifier in two
    patterns, a literal where a parameter belongs in two functions, one conversion in
    both branches of a conditional). One candidate per such change costs one validation
    where a pair would come thousands later. Insertions are left out: the same statement
    before different lines is no copy.
    """
    by_change: dict[tuple[str, str, str, str], list[Edit]] = {}
    for edit in singles:
        if edit.old and edit.old != edit.new and not edit.risky:
            by_change.setdefault((edit.path, edit.op, edit.old, edit.new), []).append(edit)
    groups: list[tuple[Edit, ...]] = []
    for found in by_change.values():
        chosen: list[Edit] = []
        for edit in found:
            if len(chosen) < MAX_COPIES and not any(edit.overlaps(c) for c in chosen):
                chosen.append(edit)
        if len(chosen) >= 2:
            groups.append(tuple(chosen[:2]))
        if len(chosen) > 2:
            groups.append(tuple(chosen))
    return groups


def with_copies(
    edits: Iterable[Edit], susp: Suspiciousness, evidence: Evidence | None,
    copies: Iterable[tuple[Edit, ...]],
) -> Iterator[tuple[tuple[Edit, ...], float]]:
    """Each edit as a group of one, merged by score with the systematic copies (see
    :func:`same_edits`), a group scored by the mean of its edits' scores (copies at
    less suspicious lines come later)."""
    singles = (((e,), edit_score(e, susp, evidence)) for e in edits)
    groups = sorted((((g, sum(edit_score(e, susp, evidence) for e in g) / len(g))
                      for g in copies)), key=lambda t: -t[1])
    yield from heapq.merge(singles, groups, key=lambda t: -t[1])
