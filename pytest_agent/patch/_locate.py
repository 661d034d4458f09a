"""Find where a hunk belongs in a file, strictest rule first, and build its replacement.

The levels, tried in order for each hunk:

1. ``exact``: the hunk's old lines (context and removed) at the stated line.
2. ``drift``: the same lines elsewhere; the match nearest the stated line wins.
3. ``whitespace``: equal once runs of whitespace are collapsed and ends stripped; the
   added lines are re-indented to the indentation found in the file.
4. ``fuzzy``: a line alignment of the hunk to a region of the file in which context
   lines may differ a little (difflib ratio) or be missing on either side, scoring
   at least :data:`FUZZY_THRESHOLD`. Removed lines must still be found (whitespace aside).

A hunk is refused, never guessed, when two places fit equally well (``ambiguous``),
or when the best place is weak. The refusal shows the hunk and the closest region.
"""

from __future__ import annotations

import difflib
import time
from collections import Counter
from dataclasses import dataclass
from typing import Final
from typing import Literal
from typing import final

from pytest_agent.patch._model import Hunk
from pytest_agent.patch._model import PatchError

__all__ = [
    "FUZZY_MARGIN",
    "FUZZY_THRESHOLD",
    "Level",
    "Match",
    "apply_match",
    "locate",
]

Level = Literal["exact", "drift", "whitespace", "fuzzy", "insert"]

#: The least score (0..1) a fuzzy match needs: the summed similarity of the aligned
#: lines over the larger of the hunk's old line count and the region's line count.
FUZZY_THRESHOLD: Final = 0.8
#: A fuzzy match must beat every other non-overlapping region by this much.
FUZZY_MARGIN: Final = 0.1
#: ...unless it is within this many lines of the stated line: then no region elsewhere
#: may fit better, and ties go to it.
_NEAR: Final = 3
#: The stated place counts as a rival of a far exact match at this much below the threshold.
_RIVAL_SLACK: Final = 0.1
#: Among repeated exact matches, the nearest wins when the next is this many times as far
#: from the stated line, plus :data:`_NEAR_SLACK` lines.
_CLEARLY_NEARER: Final = 3
_NEAR_SLACK: Final = 5
#: Two lines below this difflib ratio are never aligned.
_MIN_LINE_SIM: Final = 0.6
#: At least this share of the hunk's non-blank old lines must match (whitespace aside).
_MIN_EXACT_SHARE: Final = 0.5
#: How many candidate regions fuzzy matching scores at most.
_MAX_CANDIDATES: Final = 40


@final
@dataclass
class Match:
    """Where a hunk goes: ``align[k]`` is the file line (0-based) of the hunk's k-th old line."""

    level: Level
    start: int
    end: int
    align: list[int | None]
    score: float = 1.0


def _norm(line: str) -> str:
    return " ".join(line.split())


def _squeeze(line: str) -> str:
    return "".join(line.split())


def _check(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise PatchError("timeout", "locating the hunks took too long; send a smaller diff")


def _find_all(hay: list[str], needle: list[str]) -> list[int]:
    n = len(needle)
    if n == 0 or n > len(hay):
        return []
    first = needle[0]
    return [i for i in range(len(hay) - n + 1) if hay[i] == first and hay[i : i + n] == needle]


def _pick(lines: list[str], positions: list[int], expected: int | None, hunk: Hunk,
          level: str) -> int:
    """The position nearest ``expected``; refuse a tie, or several without a line number."""
    if len(positions) == 1:
        return positions[0]
    n = len(hunk.old)
    if expected is None:
        where = ", ".join(str(p + 1) for p in positions[:6])
        raise PatchError("hunk-failed", _ambiguous(hunk, f"its lines occur {len(positions)} "
                         f"times ({level}), at lines {where}", "add context lines that "
                         "make it unique", lines, tuple((p, p + n) for p in positions)))
    ranked = sorted(positions, key=lambda p: abs(p - expected))
    near, far = abs(ranked[0] - expected), abs(ranked[1] - expected)
    # The nearest wins only when it is clearly the nearest: line numbers written by a
    # model are often off by tens of lines, and repeated blocks are common.
    if near and far < _CLEARLY_NEARER * near + _NEAR_SLACK:
        raise PatchError("hunk-failed", _ambiguous(
            hunk, f"its lines occur at lines {ranked[0] + 1} and {ranked[1] + 1}, and the "
            f"stated line {expected + 1} does not clearly point to one ({level})",
            "add context lines that make it unique", lines,
            ((ranked[0], ranked[0] + n), (ranked[1], ranked[1] + n))))
    return ranked[0]


def _ambiguous(hunk: Hunk, why: str, fix: str, lines: list[str] | None = None,
               regions: tuple[tuple[int, int], ...] = ()) -> str:
    """The refusal of an ambiguous hunk: why, the hunk, and (up to two of) the places."""
    text = f"{hunk.label} is ambiguous: {why}; {fix}.\n{hunk.render()}"
    if lines is not None:
        for start, end in regions[:2]:
            text += f"\n\nLines {start + 1}-{end} of the file (with 2 around):\n" + number_lines(
                lines, start, end)
    return text


def locate(lines: list[str], hunk: Hunk, expected: int | None, *, deadline: float,
           threshold: float = FUZZY_THRESHOLD) -> Match:
    """Where ``hunk`` applies in ``lines`` (``expected``: the 0-based stated position)."""
    old = hunk.old
    n = len(old)
    if n == 0:
        return _locate_insert(lines, hunk, expected)
    if expected is not None and lines[expected : expected + n] == old:
        return Match("exact", expected, expected + n, list(range(expected, expected + n)))
    found = _find_all(lines, old)
    if found:
        at = _pick(lines, found, expected, hunk, "exact")
        _check_short_hunk(hunk, at, expected)
        _check_rival(lines, hunk, at, expected, deadline, threshold)
        level: Level = "exact" if expected is None or at == expected else "drift"
        return Match(level, at, at + n, list(range(at, at + n)))
    _check(deadline)
    norm = [_norm(x) for x in lines]
    nold = [_norm(x) for x in old]
    found = _find_all(norm, nold)
    if not found:
        # Then without any whitespace: "f(a, b)" against "f(a,b)".
        found = _find_all([_squeeze(x) for x in norm], [_squeeze(x) for x in nold])
    if found:
        at = _pick(lines, found, expected, hunk, "whitespace aside")
        _check_short_hunk(hunk, at, expected)
        _check_rival(lines, hunk, at, expected, deadline, threshold)
        return Match("whitespace", at, at + n, list(range(at, at + n)))
    return _fuzzy(lines, norm, hunk, nold, expected, deadline, threshold)


def _check_rival(lines: list[str], hunk: Hunk, at: int, expected: int | None,
                 deadline: float, threshold: float, *, end: int | None = None,
                 how: str = "exactly") -> None:
    """Refuse a match far from the stated line when the stated place fits almost as well.

    A model that drops or misquotes a line of the block it means can make the hunk
    match a look-alike block elsewhere (exactly, or fuzzily but better); the block at
    the stated line still fits fuzzily. Two plausible places: refuse.
    """
    if expected is None or abs(at - expected) <= _NEAR:
        return
    _check(deadline)
    n = len(hunk.old)
    norm = [_norm(x) for x in lines[max(0, expected - 12) : expected + n + 12]]
    offset = max(0, expected - 12)
    nold = [_norm(x) for x in hunk.old]
    removed = [tag == "-" for tag, _ in hunk.lines if tag != "+"]
    slack = max(3, min(n // 3, 12))
    sim = _Sim(nold, norm)
    lo, hi = max(0, expected - offset - slack), min(len(norm), expected - offset + n + slack)
    if hi <= lo:
        return
    got = _align(sim, n, lo, hi, removed, expected - offset - lo, slack)
    if got is None or got.score < threshold - _RIVAL_SLACK or got.exact < _exact_need(nold):
        return
    at_end = at + n if end is None else end
    start, stop = got.start + offset, got.end + offset
    if stop <= at or start >= at_end:
        raise PatchError("hunk-failed", _ambiguous(
            hunk, f"it matches lines {at + 1}-{at_end} {how}, but the stated place, lines "
            f"{start + 1}-{stop}, fits it nearly as well (score {got.score:.2f})",
            "quote the lines of the place you mean exactly, with their context", lines,
            ((at, at_end), (start, stop))))


def _exact_need(nold: list[str]) -> int:
    nonblank = sum(1 for x in nold if x)
    return max(1, int(nonblank * _MIN_EXACT_SHARE + 0.999))


def _check_short_hunk(hunk: Hunk, at: int, expected: int | None) -> None:
    """Refuse a hunk that lost a line next to an insertion at its edge.

    A hunk with fewer old lines than its header states, found a line or two from the
    stated place, may have dropped a context line; if its added lines sit at its edge,
    they would land on the wrong side of the dropped line.
    """
    if expected is None or hunk.stated_old is None or not hunk.lines:
        return
    missing = hunk.stated_old - len(hunk.old)
    edge = hunk.lines[0][0] == "+" or hunk.lines[-1][0] == "+"
    if edge and 0 < abs(at - expected) <= missing:
        raise PatchError("hunk-failed", _ambiguous(
            hunk, f"it has {missing} line(s) fewer than its header says and matches "
            f"{abs(at - expected)} line(s) from line {expected + 1}, so a context line next to "
            "its added lines may be missing", "include the context lines around the change"))


def _locate_insert(lines: list[str], hunk: Hunk, expected: int | None) -> Match:
    if not lines:
        return Match("insert", 0, 0, [])
    if expected is None:
        raise PatchError("hunk-failed", f"{hunk.label} only adds lines and gives no context "
                         f"and no line number: add context lines around it.\n{hunk.render()}")
    # "@@ -k,0 +..." inserts after line k; hunk.old_start was turned into ``expected`` = k.
    at = max(0, min(expected, len(lines)))
    return Match("insert", at, at, [])


# -- fuzzy ----------------------------------------------------------------------


class _Sim:
    """Cached line similarity between the hunk's old lines and the file's lines."""

    def __init__(self, nold: list[str], norm: list[str]) -> None:
        self.nold = nold
        self.norm = norm
        self.cache: dict[tuple[int, int], float] = {}

    def __call__(self, k: int, j: int) -> float:
        key = (k, j)
        got = self.cache.get(key)
        if got is not None:
            return got
        a, b = self.nold[k], self.norm[j]
        if a == b:
            value = 1.0
        elif not a or not b:
            value = 0.0
        elif 2 * min(len(a), len(b)) < _MIN_LINE_SIM * (len(a) + len(b)):
            value = 0.0  # the lengths alone rule it out
        else:
            m = difflib.SequenceMatcher(None, a, b, autojunk=False)
            value = m.ratio() if m.real_quick_ratio() >= _MIN_LINE_SIM and \
                m.quick_ratio() >= _MIN_LINE_SIM else 0.0
            if value < _MIN_LINE_SIM:
                value = 0.0
        self.cache[key] = value
        return value


@final
@dataclass
class _Scored:
    score: float
    start: int
    end: int
    align: list[int | None]
    exact: int
    #: The window and diagonal the alignment was computed on (to redo it).
    window: tuple[int, int, int] = (0, 0, 0)


def _align(sim: _Sim, n: int, lo: int, hi: int, removed: list[bool], center: int,
           band: int, *, late: bool = False) -> _Scored | None:
    """Align all ``n`` old lines to file lines ``lo..hi`` (semi-global, monotonic).

    Only cells within ``band`` of the diagonal through ``lo + center`` are scored.
    Ties go to the earliest way of reaching a cell, or with ``late`` to the last.
    """
    m = hi - lo
    neg = -1e9
    # Exact pairs dominate: a line found exactly one line further down beats a
    # look-alike in its place (a model that drops a context line, then fuzzy-matches
    # the next one to the dropped line's neighbour, would misplace the change).
    gap_old = 0.25  # an old line with no partner in the file
    gap_file = 0.25  # a file line inside the region the hunk does not mention
    # score[i][j]: best for old[:i] against file[lo:lo+j]; free file lines before the start.
    score = [[0.0] * (m + 1)] + [[neg] * (m + 1) for _ in range(n)]
    back: list[list[int]] = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        row, prev = score[i], score[i - 1]
        brow = back[i]
        for j in range(max(0, center + i - band), min(m, center + i + band) + 1):
            best = neg if removed[i - 1] else prev[j] - gap_old
            how = 1
            if j > 0:
                s = sim(i - 1, lo + j - 1)
                if s > 0 and (not removed[i - 1] or s == 1.0):
                    cand = prev[j - 1] + (s if s == 1.0 else 0.5 * s)
                    if cand > best or (late and cand == best):
                        best, how = cand, 0
                cand = row[j - 1] - gap_file
                if cand > best or (late and cand == best):
                    best, how = cand, 2
            row[j] = best
            brow[j] = how
    last = score[n]
    end_j = max(range(m + 1), key=lambda j: last[j])
    if last[end_j] <= neg / 2:
        return None
    align: list[int | None] = [None] * n
    i, j = n, end_j
    total = 0.0
    exact = 0
    while i > 0:
        how = back[i][j]
        if how == 0:
            s = sim(i - 1, lo + j - 1)
            align[i - 1] = lo + j - 1
            total += s
            exact += s == 1.0 and bool(sim.nold[i - 1])
            i -= 1
            j -= 1
        elif how == 1:
            i -= 1
        else:
            j -= 1
    placed = [a for a in align if a is not None]
    if not placed:
        return None
    start, end = placed[0], placed[-1] + 1
    return _Scored(total / max(n, end - start), start, end, align, exact, (lo, hi, center))


def _fuzzy(lines: list[str], norm: list[str], hunk: Hunk, nold: list[str],
           expected: int | None, deadline: float, threshold: float) -> Match:
    n = len(nold)
    removed = [tag == "-" for tag, _ in hunk.lines if tag != "+"]
    slack = max(3, min(n // 3, 12))
    sim = _Sim(nold, norm)
    scored = _scored_regions(lines, norm, nold, expected, deadline, sim, removed, slack)
    need = _exact_need(nold)
    good = [c for c in scored if c.exact >= need]
    good.sort(key=lambda c: c.score, reverse=True)
    if not good or good[0].score < threshold:
        raise PatchError("hunk-failed", _no_match(lines, hunk, scored or good))
    best = _unambiguous_best(lines, hunk, good, expected)
    # A far fuzzy match is weaker evidence than a far exact one: the same rival rule.
    _check_rival(lines, hunk, best.start, expected, deadline, threshold, end=best.end,
                 how=f"best (score {best.score:.2f})")
    match = Match("fuzzy", best.start, best.end, best.align, best.score)
    # Two equally good alignments (repeated lines, one of them dropped by the model) may
    # put the change in different places: compute the other tie-break and compare.
    lo, hi, center = best.window
    other_way = _align(sim, n, lo, hi, removed, center, slack, late=True)
    if other_way is not None and other_way.align != best.align:
        alt = Match("fuzzy", other_way.start, other_way.end, other_way.align, other_way.score)
        if _result(lines, hunk, match) != _result(lines, hunk, alt):
            raise PatchError("hunk-failed", _ambiguous(
                hunk, f"near lines {best.start + 1}-{best.end} its lines repeat, and it can be "
                "aligned two ways that change the file differently", "quote the lines "
                "exactly, with all the context lines", lines, ((best.start, best.end),)))
    return match


def _candidate_starts(norm: list[str], nold: list[str], expected: int | None,
                      slack: int) -> list[int]:
    """Where the hunk may start: offsets voted for by its distinctive lines, best first."""
    n = len(nold)
    index: dict[str, list[int]] = {}
    for j, text in enumerate(norm):
        if len(text) >= 4:
            index.setdefault(text, []).append(j)
    votes: Counter[int] = Counter()
    for k, text in enumerate(nold):
        for j in index.get(text, ())[:200]:
            votes[j - k] += 1
    # Each candidate costs an n x (2 slack + 1) alignment: fewer candidates for big hunks.
    budget = max(3, min(_MAX_CANDIDATES, 100_000 // (n * (2 * slack + 1))))
    starts = [s for s, _ in votes.most_common(budget)]
    if expected is not None:
        starts.append(expected)
    return starts


def _scored_regions(lines: list[str], norm: list[str], nold: list[str], expected: int | None,
                    deadline: float, sim: _Sim, removed: list[bool],
                    slack: int) -> list[_Scored]:
    """The aligned region around each candidate start, each region once."""
    n = len(nold)
    scored: list[_Scored] = []
    seen: set[tuple[int, int]] = set()
    for s in _candidate_starts(norm, nold, expected, slack):
        _check(deadline)
        lo, hi = max(0, s - slack), min(len(lines), s + n + slack)
        if hi <= lo:
            continue
        got = _align(sim, n, lo, hi, removed, s - lo, slack)
        if got is None or (got.start, got.end) in seen:
            continue
        seen.add((got.start, got.end))
        scored.append(got)
    return scored


def _unambiguous_best(lines: list[str], hunk: Hunk, good: list[_Scored],
                      expected: int | None) -> _Scored:
    """The best region (``good`` sorted best first); refused when another fits about as well.

    A region at the stated line (within _NEAR lines) wins if no region elsewhere fits
    better: ties go to the stated place, as they do for exact matches. A region away
    from it must beat every other by FUZZY_MARGIN.
    """
    best = good[0]
    margin = FUZZY_MARGIN
    if expected is not None:
        near = [c for c in good if abs(c.start - expected) <= _NEAR]
        if near and near[0].score >= best.score:
            best, margin = near[0], 0.0
    for other in good:
        if other is best:
            continue
        if other.end <= best.start or other.start >= best.end:
            if best.score - other.score < margin or other.score > best.score:
                raise PatchError("hunk-failed", _ambiguous(
                    hunk, f"it fits lines {best.start + 1}-{best.end} (score {best.score:.2f}) "
                    f"and lines {other.start + 1}-{other.end} (score {other.score:.2f}) about "
                    "equally", "quote the lines exactly, with more context", lines,
                    ((best.start, best.end), (other.start, other.end))))
            break
    return best


def _result(lines: list[str], hunk: Hunk, match: Match) -> list[str]:
    out = apply_match(lines, hunk, match)
    return lines[: match.start] + [text for text, _ in out] + lines[match.end :]


def _no_match(lines: list[str], hunk: Hunk, scored: list[_Scored]) -> str:
    why = (f"{hunk.label} does not match the file: its context and removed lines were not "
           "found (not exactly, not with other whitespace, not as a close fuzzy match)")
    if scored:
        best = max(scored, key=lambda c: c.score)
        start, end = best.start, best.end
        note = f"closest region, lines {start + 1}-{end} (score {best.score:.2f})"
    else:
        start, end = _closest_line_region(lines, hunk)
        note = f"closest region, lines {start + 1}-{end}" if end > start else "no close region"
    return (f"{why}.\nThe hunk:\n{hunk.render()}\n\nThe {note} of the file as it is:\n"
            f"{number_lines(lines, start, end)}\n"
            "Copy the context and removed lines exactly from the file, then send the diff again.")


def _closest_line_region(lines: list[str], hunk: Hunk) -> tuple[int, int]:
    old = [x for x in hunk.old if x.strip()]
    if not old or not lines:
        return 0, 0
    first = _norm(old[0])
    best_j, best = 0, -1.0
    for j, line in enumerate(lines[:20000]):
        m = difflib.SequenceMatcher(None, first, _norm(line), autojunk=False)
        if m.real_quick_ratio() > best and m.quick_ratio() > best:
            r = m.ratio()
            if r > best:
                best_j, best = j, r
    return best_j, min(len(lines), best_j + max(len(hunk.old), 3))


def number_lines(lines: list[str], start: int, end: int, pad: int = 2) -> str:
    """``lines[start:end]`` (with ``pad`` lines around) prefixed by 1-based numbers."""
    lo, hi = max(0, start - pad), min(len(lines), end + pad)
    width = len(str(hi))
    return "\n".join(f"{i + 1:>{width}} | {lines[i]}" for i in range(lo, hi))


# -- building the replacement ---------------------------------------------------------


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _reindent(text: str, pairs: list[tuple[int, str, str]], at: int) -> str:
    """Re-indent an added line (hunk line ``at``) like its nearest matched neighbours.

    ``pairs`` holds ``(hunk index, indent in the hunk, indent in the file)``.
    """
    if not text.strip() or not pairs or all(o == f for _, o, f in pairs):
        return text
    ordered = sorted(pairs, key=lambda p: (p[0] > at, abs(p[0] - at)))
    own = _indent(text)
    body = text[len(own):]
    for _, o, f in ordered:
        if own.startswith(o):
            return f + own[len(o):] + body
    _, o, f = ordered[0]
    delta = len(f) - len(o)
    if delta >= 0:
        return (f[:1] or " ") * delta + text
    return own[min(len(own), -delta):] + body


def apply_match(lines: list[str], hunk: Hunk, match: Match) -> list[tuple[str, int | None]]:
    """The lines that replace ``lines[match.start:match.end]``: ``(text, source line)``.

    A kept file line carries its index (so it keeps its own line ending); added lines
    carry ``None``. File lines inside the region that the hunk does not mention are
    kept; an added line next to such a line is refused as ambiguous, unless it takes
    the place of a removed line.
    """
    pairs: list[tuple[int, str, str]] = []
    k = 0
    for h, (tag, text) in enumerate(hunk.lines):
        if tag == "+":
            continue
        j = match.align[k]
        k += 1
        if j is not None and text.strip() and lines[j].strip():
            pairs.append((h, _indent(text), _indent(lines[j])))
    out: list[tuple[str, int | None]] = []
    pending: list[tuple[str, int | None]] = []
    cursor = match.start
    prev_tag = ""
    k = 0
    for h, (tag, text) in enumerate(hunk.lines):
        if tag == "+":
            pending.append((_reindent(text, pairs, h), None))
            continue
        j = match.align[k]
        k += 1
        if j is None:
            if tag == "-":
                raise PatchError("hunk-failed", f"{hunk.label}: a removed line was not found: "
                                 f"{text!r}\n{hunk.render()}")
            continue
        gap: list[tuple[str, int | None]] = [(lines[g], g) for g in range(cursor, j)]
        if pending and gap:
            if prev_tag == "-":
                out.extend(pending)
                out.extend(gap)
            elif tag == "-":
                out.extend(gap)
                out.extend(pending)
            else:
                raise PatchError("hunk-failed", _ambiguous(
                    hunk, f"its added lines go next to file lines {cursor + 1}-{j} that the "
                    "hunk leaves out, so their place is unclear", "include those lines as "
                    "context"))
        else:
            out.extend(gap)
            out.extend(pending)
        pending = []
        if tag == " ":
            out.append((lines[j], j))
        cursor = j + 1
        prev_tag = tag
    out.extend(pending)
    return out
