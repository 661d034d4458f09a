"""Rank each real bug of a localization cache under several settings of
localize/_statements.py (the statement signals) in one process: the A/B of issue #17's
class C (which test statement's calls wrote the state the failing check reads), from
the same coverage runs.

    python benchmarks/localize/statement_variants.py --split study --cache DIR \\
        --variant changed=0 --variant changed=0.2 --variant changed=0.2,statement=0

Each ``--variant`` sets ``W_CHANGED_STATE`` (``changed=``), ``W_STATEMENT``
(``statement=``) and ``WITH_BLOCK`` (``block=1``: a failing ``with`` statement's block
is part of it) and ``BINDINGS_CHANGE`` (``bind=1``: a plain binding of a name the
failing statement reads counts as a change for ``W_CHANGED_STATE``); a setting it does
not name keeps its value in the module. Prints
top-1/3/5 of the main changed function per variant and, for the tuned and study
splits, the bugs whose rank differs from the first variant's; for the check split only
counts (how many moved up or down), as everywhere.
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "real_bugs"))

from variants import parse_args  # noqa: E402  (benchmarks/localize/variants.py)
from variants import rank_variants  # noqa: E402

from pytest_agent.localize import _statements  # noqa: E402
from pytest_agent.settings import AgentSettings  # noqa: E402

#: ``--variant`` names -> the module's weights.
_WEIGHTS = {"changed": "W_CHANGED_STATE", "statement": "W_STATEMENT", "block": "WITH_BLOCK",
            "bind": "BINDINGS_CHANGE"}
_FLAGS = ("WITH_BLOCK", "BINDINGS_CHANGE")


def _apply(text: str, defaults: dict[str, float], settings: AgentSettings) -> AgentSettings:
    values = dict(defaults)
    for part in filter(None, text.split(",")):
        name, _, value = part.partition("=")
        if name not in _WEIGHTS:
            raise SystemExit(f"--variant {text!r}: {name!r} is not one of {', '.join(_WEIGHTS)}")
        values[_WEIGHTS[name]] = float(value)
    for weight, value in values.items():
        setattr(_statements, weight, bool(value) if weight in _FLAGS else value)
    return settings


def main() -> int:
    args, settings = parse_args(__doc__.split("\n\n")[0])
    defaults = {w: float(getattr(_statements, w)) for w in _WEIGHTS.values()}
    for text in args.variant:  # refuse a bad variant before ranking anything
        _apply(text, defaults, settings)
    return rank_variants(args, [(text, partial(_apply, text, defaults, settings))
                                for text in args.variant])


if __name__ == "__main__":
    raise SystemExit(main())
