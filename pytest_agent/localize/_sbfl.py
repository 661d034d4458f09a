"""Spectrum-based fault localization: per-line suspiciousness from per-test coverage.

For a line ``s``, with ``ef``/``ep`` the failing/passing tests that ran it and
``nf``/``np`` those that did not (``F = ef + nf`` failing tests in all):

- Ochiai: ``ef / sqrt(F * (ef + ep))``;
- DStar (``* = 2``): ``ef**2 / (ep + nf)``, with a zero denominator counted as
  ``ef**2 + 1`` (above every finite value); scores are divided by the run's
  maximum so that both formulas give values in ``[0, 1]``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from typing import final

__all__ = ["LineStats", "dstar", "ochiai", "suspiciousness"]

Formula = Literal["ochiai", "dstar"]


@final
@dataclass(frozen=True)
class LineStats:
    ef: int
    ep: int
    nf: int
    np: int
    score: float


def ochiai(ef: int, ep: int, nf: int, np: int) -> float:
    denominator = math.sqrt((ef + nf) * (ef + ep))
    return ef / denominator if denominator else 0.0


def dstar(ef: int, ep: int, nf: int, np: int, star: int = 2) -> float:
    if ef == 0:
        return 0.0
    denominator = ep + nf
    return float(ef**star) / denominator if denominator else float(ef**star + 1)


def suspiciousness(
    coverage: Mapping[str, Mapping[str, Iterable[int]]],
    failing: frozenset[str],
    passing: frozenset[str],
    formula: Formula = "ochiai",
) -> dict[tuple[str, int], LineStats]:
    """Score every line run by at least one failing test.

    :param coverage: filename -> test node id -> lines that test ran.
    :param failing: node ids of the failing tests; ``passing`` likewise.
    """
    total_f, total_p = len(failing), len(passing)
    stats: dict[tuple[str, int], LineStats] = {}
    for filename, per_test in coverage.items():
        ef_of: dict[int, int] = {}
        ep_of: dict[int, int] = {}
        for test, lines in per_test.items():
            if test in failing:
                target = ef_of
            elif test in passing:
                target = ep_of
            else:
                continue
            for line in lines:
                target[line] = target.get(line, 0) + 1
        for line, ef in ef_of.items():
            ep = ep_of.get(line, 0)
            nf, np = total_f - ef, total_p - ep
            fn = ochiai if formula == "ochiai" else dstar
            stats[(filename, line)] = LineStats(ef, ep, nf, np, fn(ef, ep, nf, np))
    if formula == "dstar" and stats:
        top = max(s.score for s in stats.values()) or 1.0
        stats = {k: LineStats(s.ef, s.ep, s.nf, s.np, s.score / top) for k, s in stats.items()}
    return stats
