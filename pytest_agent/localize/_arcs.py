"""Refinements of the spectrum from the same coverage run: branch (arc) spectra, and
passing tests weighted by how alike they are to the failing tests (issue #17).

**Arcs.** A wrong condition or a missing branch changes *which arc* a test takes (the
``if`` that falls through, the loop that exits early) even when every line runs in
every test, where the line spectrum has no evidence. The coverage run records each
test's arcs when the setting ``localize_arc_weight`` is above 0 (coverage.py's
``branch=True``: ``(from line, to line)``, a negative number for a code object's entry
or exit). Each arc gets the line spectrum's formula and rules: only the task's
failures count as failing, arcs of code run at import (module and class bodies,
``def`` lines: no evidence) are left out, and an arc every test took keeps
``EVERY_TEST`` of its score. An arc belongs to its source line (the line the decision
is on; an entry arc to its target): that line's spectrum score rises by that weight
(default 0.5) x what its best arc scores above it. At 1 a line scores the best of its
own and its arcs', and a function the best of its best line and its best arc; 0 reads
no arcs.

**Likeness.** With one failing test, a passing test that runs almost the same code is
stronger evidence that what it runs is innocent than one that runs something else
(nearest-neighbour fault localization, Renieris and Reiss; proximity-weighted SBFL,
Bandyopadhyay and Ghosh). With ``SIMILARITY = a > 0`` each passing test counts
``sim ** a`` (normalized to a mean of 1 over the passing tests), ``sim`` its largest
Jaccard similarity of project lines to a failing test; the lines' scores are computed
again with these weights (the counts still decide "run by every test"), and so are
the arcs'. ``0`` (the default) leaves the spectrum as :mod:`._signals` made it.

Called by :func:`._rank.rank` right after the line spectrum (``spectrum_signal``),
while the ranker's line scores are still that spectrum's alone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from collections.abc import Mapping
from typing import TypeVar

from pytest_agent.localize._coverage import SpectrumRun
from pytest_agent.localize._ranker import Ranker
from pytest_agent.localize._sbfl import Formula
from pytest_agent.localize._signals import EVERY_TEST
from pytest_agent.localize._signals import project_coverage
from pytest_agent.localize._signals import project_files

__all__ = ["ENDS", "SIMILARITY", "arc_signal", "passing_weights", "weighted_spectrum"]

#: The exponent of the likeness weights of passing tests; 0: not weighted.
SIMILARITY = 0.0
#: Read the arcs into and out of a code object too (a negative end): a call entered
#: where its first line runs, and a return, or an exception leaving the function,
#: from the line it left.
ENDS = False

_Item = TypeVar("_Item")
_Arc = tuple[int, int]


def arc_signal(ranker: Ranker, spectrum: SpectrumRun, formula: Formula,
               failing: frozenset[str], arc_weight: float) -> int:
    """Refine the line spectrum :mod:`._signals` just scored; return how many lines
    the arcs (or the weights) changed. ``arc_weight``: the share of what a line's best
    arc scores above the line that the line gets (1: the better of the two; 0: arcs are
    not read)."""
    passing = spectrum.passing
    weights = (passing_weights(project_coverage(ranker, spectrum), failing, passing,
                               SIMILARITY) if SIMILARITY else None)
    changed = _reweigh_lines(ranker, spectrum, formula, failing, weights) if weights else 0
    if not arc_weight or not spectrum.arcs:
        return changed
    arcs = _project_arcs(ranker, spectrum)
    scored = weighted_spectrum(arcs, failing, passing, weights or {}, formula)
    best: dict[tuple[str, int], tuple[float, _Arc, str]] = {}
    for (rel, arc), (score, why) in scored.items():
        key = (rel, arc[0] if arc[0] > 0 else arc[1])
        if score > best.get(key, (0.0, arc, ""))[0]:
            best[key] = (score, arc, why)
    for key, (score, arc, why) in sorted(best.items()):
        gain = arc_weight * (score - ranker.line_score.get(key, 0.0))
        if gain > 1e-9:
            ranker.add_line(*key, gain, f"arc {_show(arc)}: {why}", kind="arc")
            changed += 1
    return changed


def _show(arc: _Arc) -> str:
    a, b = arc
    return f"{a if a > 0 else 'entry'} -> {b if b > 0 else 'exit'}"


def _project_arcs(ranker: Ranker, spectrum: SpectrumRun
                  ) -> dict[str, dict[str, frozenset[_Arc]]]:
    """Per project file: the arcs each test took, less those of code run at import."""
    found: dict[str, dict[str, frozenset[_Arc]]] = {}
    for rel, per_test, at_import in project_files(ranker, spectrum.arcs):
        found[rel] = {test: frozenset(a for a in taken if (ENDS or min(a) > 0)
                                      and (a[0] if a[0] > 0 else a[1]) not in at_import)
                      for test, taken in per_test.items()}
    return found


def passing_weights(coverage: Mapping[str, Mapping[str, Iterable[int]]],
                    failing: frozenset[str], passing: frozenset[str],
                    exponent: float) -> dict[str, float]:
    """Each passing test's weight: its largest Jaccard similarity (project lines) to a
    failing test, to the power ``exponent``, scaled so that the weights average 1."""
    ran: dict[str, set[tuple[str, int]]] = {}
    for rel, per_test in coverage.items():
        for test, lines in per_test.items():
            if test in failing or test in passing:
                ran.setdefault(test, set()).update((rel, n) for n in lines)
    failed = [ran.get(t, set()) for t in sorted(failing)]
    raw: dict[str, float] = {}
    for test in sorted(passing):
        mine = ran.get(test, set())
        raw[test] = max((len(mine & f) / len(mine | f) for f in failed if mine | f),
                        default=0.0) ** exponent
    mean = sum(raw.values()) / len(raw) if raw else 0.0
    return {t: w / mean for t, w in raw.items()} if mean else {}


def _reweigh_lines(ranker: Ranker, spectrum: SpectrumRun, formula: Formula,
                   failing: frozenset[str], weights: Mapping[str, float]) -> int:
    """Replace the line spectrum's scores by the weighted ones."""
    scored = weighted_spectrum(project_coverage(ranker, spectrum), failing, spectrum.passing,
                               weights, formula)
    changed = 0
    for (rel, line), (score, why) in sorted(scored.items()):
        old = ranker.line_score.get((rel, line), 0.0)
        if abs(score - old) > 1e-9:
            ranker.add_line(rel, line, score - old, f"passing tests weighted by likeness: {why}",
                            kind="sbfl")
            changed += 1
    return changed


def weighted_spectrum(
    coverage: Mapping[str, Mapping[str, Iterable[_Item]]],
    failing: frozenset[str],
    passing: frozenset[str],
    weights: Mapping[str, float],
    formula: Formula,
) -> dict[tuple[str, _Item], tuple[float, str]]:
    """The suspiciousness of every item (line or arc) a failing test ran, and why.

    A passing test counts its weight (1 when ``weights`` lacks it); an item every
    failing and every passing test ran keeps ``EVERY_TEST`` of its score. DStar's
    scores are divided by their maximum, as the line spectrum's are.
    """
    total_f = len(failing)
    # ef, ep (weighted), ep (tests): the formulas need F, not P.
    counts: dict[tuple[str, _Item], list[float]] = {}
    for rel, per_test in coverage.items():
        for test, items in per_test.items():
            slot = 0 if test in failing else 1 if test in passing else -1
            if slot < 0:
                continue
            weight = 1.0 if slot == 0 else weights.get(test, 1.0)
            for item in items:
                c = counts.setdefault((rel, item), [0.0, 0.0, 0.0])
                c[slot] += weight
                c[2] += slot  # 1 for a passing test
    raw = {key: (_formula(formula, ef, ep, total_f - ef), ef, ep, int(n_ep))
           for key, (ef, ep, n_ep) in counts.items() if ef}
    top = max((r[0] for r in raw.values()), default=1.0) if formula == "dstar" else 1.0
    out: dict[tuple[str, _Item], tuple[float, str]] = {}
    for key, (score, ef, ep, n_ep) in raw.items():
        score /= top or 1.0
        if score <= 0:
            continue
        if passing and ef == total_f and n_ep == len(passing):
            out[key] = (score * EVERY_TEST, f"run by every test ({formula} {score:.2f})")
        else:
            out[key] = (score, f"{formula} {score:.2f} (ef={ef:g} ep={ep:.3g})")
    return out


def _formula(formula: Formula, ef: float, ep: float, nf: float) -> float:
    """Ochiai or DStar (``* = 2``) of real-valued counts (weighted passing tests)."""
    if formula == "ochiai":
        denominator = math.sqrt((ef + nf) * (ef + ep))
        return ef / denominator if denominator else 0.0
    return ef**2 / (ep + nf) if ep + nf else ef**2 + 1.0
