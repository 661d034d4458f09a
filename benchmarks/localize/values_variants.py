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

import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "real_bugs"))

from variants import parse_args  # noqa: E402  (benchmarks/localize/variants.py)
from variants import rank_variants  # noqa: E402

from pytest_agent.localize import _values  # noqa: E402
from pytest_agent.settings import AgentSettings  # noqa: E402

_KINDS = ("ret", "attr", "delta")


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
    args, settings = parse_args(__doc__.split("\n\n")[0])
    variants = [(text, _variant(text, settings.localize_arc_weight)) for text in args.variant]
    return rank_variants(args, [(text, partial(v.apply, settings)) for text, v in variants])


if __name__ == "__main__":
    raise SystemExit(main())
