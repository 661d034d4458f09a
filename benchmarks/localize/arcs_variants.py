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

import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "real_bugs"))

from variants import parse_args  # noqa: E402  (benchmarks/localize/variants.py)
from variants import rank_variants  # noqa: E402

from pytest_agent.localize import _arcs  # noqa: E402
from pytest_agent.settings import AgentSettings  # noqa: E402


def _variant(text: str) -> tuple[float, float, bool]:
    values = {"arc": 0.0, "sim": 0.0, "ends": 0.0}
    for part in filter(None, text.split(",")):
        name, _, value = part.partition("=")
        if name not in values:
            raise SystemExit(f"--variant {text!r}: {name!r} is not arc, sim or ends")
        values[name] = float(value)
    return values["arc"], values["sim"], bool(values["ends"])


def main() -> int:
    args, settings = parse_args(__doc__.split("\n\n")[0])

    def variant(text: str) -> tuple[str, Callable[[], AgentSettings]]:
        arc, sim, ends = _variant(text)

        def apply() -> AgentSettings:
            _arcs.SIMILARITY, _arcs.ENDS = sim, ends
            return settings.model_copy(update={"localize_arc_weight": arc})
        return text, apply

    return rank_variants(args, [variant(text) for text in args.variant])


if __name__ == "__main__":
    raise SystemExit(main())
