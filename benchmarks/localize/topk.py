"""Top-k shares and the p90 of the localization benchmark's reports."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["KS", "p90", "top"]

KS = (1, 3, 5)


def top(results: Sequence[object], attr: str, k: int) -> float:
    """Percent of ``results`` whose rank ``attr`` (None: not ranked) is at most ``k``."""
    hits = sum(1 for r in results if (getattr(r, attr) or 10**9) <= k)
    return 100.0 * hits / len(results)


def p90(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
