"""Rank each real bug of a localization cache under several settings of localize/_arcs.py
(arc spectra, likeness-weighted passing tests) in one process: the A/B of issue #17's
arcs round, from the same coverage runs.

    python benchmarks/localize/arcs_variants.py --split study --cache /tmp/arcs-study \\
        --variant arc=0 --variant arc=1 --variant sim=2

Each ``--variant`` sets the setting ``localize_arc_weight`` (``arc=``), ``SIMILARITY``
(``sim=``) and ``ENDS`` (``ends=1``); what it does not name is 0. Prints top-1/3/5 of
the main changed function per variant and, for the tuned and study splits, the bugs
whose rank differs from the first variant's; for the check split only counts (how many
moved up or down), as everywhere.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "real_bugs"))

from real_corpus import measure_real  # noqa: E402  (benchmarks/localize/real_corpus.py)
from topk import top  # noqa: E402

from pytest_agent.localize import _arcs  # noqa: E402
from pytest_agent.settings import AgentSettings  # noqa: E402

KS = (1, 3, 5)


class _Ranks:
    """The main changed function's rank of one bug per variant."""

    def __init__(self, main_rank: int | None) -> None:
        self.main_rank = main_rank


def _variant(text: str) -> tuple[float, float, bool]:
    values = {"arc": 0.0, "sim": 0.0, "ends": 0.0}
    for part in filter(None, text.split(",")):
        name, _, value = part.partition("=")
        if name not in values:
            raise SystemExit(f"--variant {text!r}: {name!r} is not arc, sim or ends")
        values[name] = float(value)
    return values["arc"], values["sim"], bool(values["ends"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", required=True, choices=("tuned", "study", "check"))
    parser.add_argument("--cache", required=True)
    parser.add_argument("--variant", action="append", required=True)
    parser.add_argument("--test-timeout", type=float, default=120.0)
    args = parser.parse_args()
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ.pop("PYTEST_PLUGINS", None)
    from materialize import load_manifest

    variants = [_variant(v) for v in args.variant]
    settings = AgentSettings(test_timeout=args.test_timeout, localize_mutation_seconds=0,
                             localize_extra_tests_seconds=0)
    ranks: list[list[int | None]] = []
    ids = []
    for bug in load_manifest(split=args.split):
        row = []
        for arc, sim, ends in variants:
            _arcs.SIMILARITY, _arcs.ENDS = sim, ends
            variant = settings.model_copy(update={"localize_arc_weight": arc})
            row.append(measure_real(bug.id, variant, False, args.cache).main_rank)
        ranks.append(row)
        ids.append(bug.id)
        if args.split != "check":
            print(f"{bug.id:26} " + " ".join(f"{r!s:>4}" for r in row), flush=True)
    n = len(ranks)
    for i, (text, _) in enumerate(zip(args.variant, variants, strict=True)):
        results = [_Ranks(row[i]) for row in ranks]
        cells = " / ".join(f"{top(results, 'main_rank', k):.0f}%" for k in KS)
        firsts = sum(1 for row in ranks if row[i] == 1)
        up = sum(1 for row in ranks if (row[i] or 99) < (row[0] or 99))
        down = sum(1 for row in ranks if (row[i] or 99) > (row[0] or 99))
        print(f"{text:24} {cells}  ({firsts} of {n} first; against {args.variant[0]}:"
              f" {up} up, {down} down)")
        if args.split != "check":
            for bug_id, row in zip(ids, ranks, strict=True):
                if row[i] != row[0]:
                    print(f"    {bug_id}: {row[0]} -> {row[i]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
