"""Rank each real bug of a localization cache under several variants of the ranking in
one process, from the same coverage runs: the loop and the report that
``arcs_variants.py`` and ``values_variants.py`` share.

A variant is a label and a callable that puts the ranking's module settings in place
and returns the :class:`AgentSettings` to rank with. Prints top-1/3/5 of the main
changed function per variant and, for the tuned and study splits, each bug's ranks and
the bugs whose rank differs from the first variant's; for the check split only counts
(how many moved up or down), as everywhere.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from collections.abc import Sequence
from pathlib import Path

from real_corpus import measure_real  # benchmarks/localize/real_corpus.py
from topk import top

from pytest_agent.settings import AgentSettings

__all__ = ["KS", "Variant", "parse_args", "rank_variants"]

KS = (1, 3, 5)
#: ``(label, apply)``: ``apply()`` sets the module settings and returns the settings.
Variant = tuple[str, Callable[[], AgentSettings]]


class _Ranks:
    """The main changed function's rank of one bug under one variant."""

    def __init__(self, main_rank: int | None) -> None:
        self.main_rank = main_rank


def parse_args(description: str) -> tuple[argparse.Namespace, AgentSettings]:
    """The options every variants script takes (each reads ``--variant`` its own way),
    and the settings to rank with: no mutation run, no extra tests' run (a cache holds
    neither)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--split", required=True, choices=("tuned", "study", "study2", "check"))
    parser.add_argument("--cache", required=True)
    parser.add_argument("--variant", action="append", required=True)
    parser.add_argument("--test-timeout", type=float, default=120.0)
    parser.add_argument("--cached-only", action="store_true",
                        help="only the bugs whose coverage run the cache holds (a cache"
                             " still being built); the report says how many")
    args = parser.parse_args()
    return args, AgentSettings(test_timeout=args.test_timeout, localize_mutation_seconds=0,
                               localize_extra_tests_seconds=0)


def rank_variants(args: argparse.Namespace, variants: Sequence[Variant]) -> int:
    """Rank every bug of ``args.split`` (from ``args.cache``) under each variant; print."""
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ.pop("PYTEST_PLUGINS", None)
    from materialize import load_manifest

    ranks: list[list[int | None]] = []
    ids = []
    for bug in load_manifest(split=args.split):
        if args.cached_only and not (Path(args.cache) / bug.id / "spectrum.pickle").is_file():
            continue
        ranks.append([measure_real(bug.id, apply(), False, args.cache).main_rank
                      for _, apply in variants])
        ids.append(bug.id)
        if args.split != "check":
            print(f"{bug.id:26} " + " ".join(f"{r!s:>4}" for r in ranks[-1]), flush=True)
    n = len(ranks)
    width = max(24, *(len(label) for label, _ in variants))
    for i, (label, _) in enumerate(variants):
        results = [_Ranks(row[i]) for row in ranks]
        cells = " / ".join(f"{top(results, 'main_rank', k):.0f}%" for k in KS)
        firsts = sum(1 for row in ranks if row[i] == 1)
        up = sum(1 for row in ranks if (row[i] or 99) < (row[0] or 99))
        down = sum(1 for row in ranks if (row[i] or 99) > (row[0] or 99))
        print(f"{label:{width}} {cells}  ({firsts} of {n} first; against {variants[0][0]}:"
              f" {up} up, {down} down)")
        if args.split != "check":
            for bug_id, row in zip(ids, ranks, strict=True):
                if row[i] != row[0]:
                    print(f"    {bug_id}: {row[0]} -> {row[i]}")
    return 0
