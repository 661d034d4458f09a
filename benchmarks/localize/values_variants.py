"""Rank each real bug of a localization cache under several settings of
localize/_values.py (the value-spectrum signals) in one process: the A/B of issue #17's
values rounds, from the same coverage runs (recorded with ``PYTEST_AGENT_LOCALIZE_VALUES=1``).

    python benchmarks/localize/values_variants.py --split study --cache /tmp/values-study \\
        --variant pred=0 --variant pred=0.2 --variant pred=0.2,kinds=delta,excuse=0

Each ``--variant`` sets ``W_VALUE_PREDICATE`` (``pred=``), ``W_VALUE_ORIGIN``
(``origin=``), ``W_VALUE_INPUT`` (``input=``), ``PREDICATE_KINDS`` (``kinds=`` joined
by ``+``: ret, attr, delta; all by default), ``EXCUSE_CALLERS`` (``excuse=0``: off),
``NORMAL_INPUTS`` (``normal=0``: off) and the setting ``localize_arc_weight`` (``arc=``;
the settings' default otherwise); weights it does not name are 0. Prints top-1/3/5 of
the main changed function per variant and, for the tuned and study splits, the bugs
whose rank differs from the first variant's; for the check split only counts (how many
moved up or down), as everywhere.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "real_bugs"))

from real_corpus import measure_real  # noqa: E402  (benchmarks/localize/real_corpus.py)
from topk import top  # noqa: E402

from pytest_agent.localize import _values  # noqa: E402
from pytest_agent.settings import AgentSettings  # noqa: E402

KS = (1, 3, 5)
_KINDS = ("ret", "attr", "delta")


class _Ranks:
    """The main changed function's rank of one bug per variant."""

    def __init__(self, main_rank: int | None) -> None:
        self.main_rank = main_rank


@dataclass(frozen=True)
class _Variant:
    predicate: float
    origin: float
    received: float
    kinds: frozenset[str]
    excuse: bool
    normal: bool
    arc: float

    def apply(self, settings: AgentSettings) -> AgentSettings:
        _values.W_VALUE_PREDICATE = self.predicate
        _values.W_VALUE_ORIGIN = self.origin
        _values.W_VALUE_INPUT = self.received
        _values.PREDICATE_KINDS = self.kinds
        _values.EXCUSE_CALLERS = self.excuse
        _values.NORMAL_INPUTS = self.normal
        return settings.model_copy(update={"localize_arc_weight": self.arc})


def _variant(text: str, arc: float) -> _Variant:
    numbers = {"pred": 0.0, "origin": 0.0, "input": 0.0, "excuse": 1.0, "normal": 1.0,
               "arc": arc}
    kinds = frozenset(_KINDS)
    for part in filter(None, text.split(",")):
        name, _, value = part.partition("=")
        if name == "kinds":
            kinds = frozenset(value.split("+"))
            if not kinds <= set(_KINDS):
                raise SystemExit(f"--variant {text!r}: kinds are {', '.join(_KINDS)}")
        elif name in numbers:
            numbers[name] = float(value)
        else:
            raise SystemExit(f"--variant {text!r}: {name!r} is not one of"
                             f" {', '.join(numbers)}, kinds")
    return _Variant(numbers["pred"], numbers["origin"], numbers["input"], kinds,
                    bool(numbers["excuse"]), bool(numbers["normal"]), numbers["arc"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", required=True, choices=("tuned", "study", "check"))
    parser.add_argument("--cache", required=True)
    parser.add_argument("--variant", action="append", required=True)
    parser.add_argument("--test-timeout", type=float, default=120.0)
    parser.add_argument("--cached-only", action="store_true",
                        help="only the bugs whose coverage run the cache holds (a cache"
                             " still being built); the report says how many")
    args = parser.parse_args()
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ.pop("PYTEST_PLUGINS", None)
    from materialize import load_manifest

    variants = [_variant(v, AgentSettings().localize_arc_weight) for v in args.variant]
    settings = AgentSettings(test_timeout=args.test_timeout, localize_mutation_seconds=0,
                             localize_extra_tests_seconds=0)
    ranks: list[list[int | None]] = []
    ids = []
    for bug in load_manifest(split=args.split):
        if args.cached_only and not (Path(args.cache) / bug.id / "spectrum.pickle").is_file():
            continue
        row = []
        for variant in variants:
            row.append(measure_real(bug.id, variant.apply(settings), False,
                                    args.cache).main_rank)
        ranks.append(row)
        ids.append(bug.id)
        if args.split != "check":
            print(f"{bug.id:26} " + " ".join(f"{r!s:>4}" for r in row), flush=True)
    n = len(ranks)
    for i, text in enumerate(args.variant):
        results = [_Ranks(row[i]) for row in ranks]
        cells = " / ".join(f"{top(results, 'main_rank', k):.0f}%" for k in KS)
        firsts = sum(1 for row in ranks if row[i] == 1)
        up = sum(1 for row in ranks if (row[i] or 99) < (row[0] or 99))
        down = sum(1 for row in ranks if (row[i] or 99) > (row[0] or 99))
        print(f"{text:32} {cells}  ({firsts} of {n} first; against {args.variant[0]}:"
              f" {up} up, {down} down)")
        if args.split != "check":
            for bug_id, row in zip(ids, ranks, strict=True):
                if row[i] != row[0]:
                    print(f"    {bug_id}: {row[0]} -> {row[i]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
