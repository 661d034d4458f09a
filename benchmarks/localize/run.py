"""Localization benchmark: the seeded corpus (issue #5) and the real-bug corpus (issue #17).

For each program (a copy in a temp dir), the task is built from meta.json: the
description and the accept tests, with no ``files`` hint. We run
``pytest_agent.localize.localize_detailed`` and check where the seeded fault
(``meta.json``: file, line, function) lands in the ranking:

- line top-k: the faulty line is among the first k ranked lines;
- function top-k: the faulty function is among the first k ranked functions.

Cost: the wall time of localization (the coverage run and the ranking and the
pack) divided by the wall time of one plain ``python -m pytest`` subprocess of
the same test files, both measured in the same process, alternating, ``--runs``
times; per program the ratio of the medians, overall the median of those ratios.

    python benchmarks/localize/run.py                 # writes benchmarks/localize/RESULTS.md
    python benchmarks/localize/run.py --runs 5 --formula dstar --no-write

``--split`` picks the seeded programs by meta.json's ``split`` (benchmarks/corpus/README.md):
``tuned`` (the default: l*/o*), ``study`` (s*; writes RESULTS-seeded-study.md) or
``heldout`` (h*: run only by the lead, once; RESULTS-seeded-heldout.md, no per-program rows).

Child pytest runs load no third-party plugins (``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``,
as in our test suite) unless ``--autoload`` is given: with a dozen plugins
installed, a plain run costs more and the ratio falls (see RESULTS.md).

``--corpus real`` runs over benchmarks/real_bugs instead (each bug materialized from
its local git mirror into a temp dir, see benchmarks/real_bugs/README.md), once per
bug, and writes RESULTS-real.md: the rank of the function the developer changed
(function top-1/3/5: the function with most changed lines, and any changed one; a
method the fix *added* counts as found when its class is ranked). The task's
description names the failing tests only (``--subject`` adds the fix commit's
subject, which often names the function: a leak, off by default).

    python benchmarks/localize/run.py --corpus real          # writes RESULTS-real.md
    python benchmarks/localize/run.py --corpus real -k parse --no-write

This file holds the command line; the seeded corpus's runs are in seeded_corpus.py, the real
bugs' (materializing, the ``--cache`` runs, the report) in real_corpus.py, the top-k shares in
topk.py and the cache's format in spectrum_cache.py.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

from real_corpus import main_real  # noqa: E402  (benchmarks/localize/real_corpus.py)
from real_corpus import settings_extra  # noqa: E402
from seeded_corpus import main_seeded  # noqa: E402  (benchmarks/localize/seeded_corpus.py)

from pytest_agent.settings import AgentSettings  # noqa: E402


def ablate(without: str, weights: list[str]) -> None:
    """Switch off rules of the ranking, or set a weight of localize/_signals.py (in this
    process: the ranking runs here, not in the coverage run)."""
    from pytest_agent.localize import _signals

    for assignment in weights:
        name, _, value = assignment.partition("=")
        if not name.startswith("W_") or not hasattr(_signals, name):
            raise SystemExit(f"--set: no weight {name!r} in localize/_signals.py")
        setattr(_signals, name, float(value))
    for rule in filter(None, (w.strip() for w in without.split(","))):
        if rule == "every-test":
            _signals.EVERY_TEST = 1.0
        elif rule == "constants":
            _signals.W_READS_CONSTANT = 0.0
        else:
            raise SystemExit(f"--without: unknown rule {rule!r} (every-test, constants)")


def spectrum_refinements(similarity: float | None) -> None:
    """``--similarity``: localize/_arcs.py's setting in this process."""
    from pytest_agent.localize import _arcs

    if similarity is not None:
        _arcs.SIMILARITY = similarity


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formula", choices=("ochiai", "dstar"), default="ochiai")
    parser.add_argument("--autoload", action="store_true",
                        help="let child pytest runs load every installed plugin")
    parser.add_argument("--no-write", action="store_true", help="print, do not write RESULTS.md")
    parser.add_argument("-k", dest="only", default="", help="only programs whose name has this")
    parser.add_argument("--corpus", choices=("seeded", "real"), default="seeded",
                        help="benchmarks/corpus (seeded faults) or benchmarks/real_bugs")
    parser.add_argument("--split", choices=("tuned", "heldout", "study", "check", "study2",
                                            "all"),
                        default="tuned",
                        help="seeded: the programs of this split (meta.json; tuned: l*/o*);"
                        " real bugs: this split of bugs.json (heldout: projects nobody"
                        " tunes on, run at the end; writes RESULTS-real-heldout.md; study:"
                        " projects whose misses are read, RESULTS-real-study.md with"
                        " per-bug rows; check (real bugs only): counts only,"
                        " RESULTS-real-check.md without per-bug rows)")
    parser.add_argument("--subject", action="store_true",
                        help="real bugs: the description gives the fix commit's subject")
    parser.add_argument("--set", action="append", default=[], metavar="W_NAME=VALUE",
                        help="a weight of localize/_signals.py for this run (ablation)")
    parser.add_argument("--dump", default="", help="real bugs: write each ranking to this JSON")
    parser.add_argument("--exclude", default="",
                        help="real bugs: leave out these projects (comma-separated; the"
                             " report says so)")
    parser.add_argument("--test-timeout", type=float, default=60.0,
                        help="the settings' test_timeout (the coverage run may take 1.5x it)")
    parser.add_argument("--cache", default="",
                        help="real bugs: keep each bug, its baseline and its coverage run in"
                             " this directory and reuse them (only the ranking runs again;"
                             " a reused bug's time is the ranking's plus the time its"
                             " coverage run took when it ran; paths are stored relative to"
                             " the bug's directory, so a copied or moved cache keeps its"
                             " coverage, see spectrum_cache.py)")
    parser.add_argument("--extra-seconds", type=float, default=None,
                        help="the settings' localize_extra_tests_seconds (passing tests of"
                             " other test files added to the spectrum; 0: off); with --cache"
                             " their run is kept too, so 0 re-ranks the same accept-files run"
                             " without them")
    parser.add_argument("--without", default="",
                        help="ablation, comma-separated: every-test (lines every test runs keep"
                             " their score), constants (no module-constant signal)")
    parser.add_argument("--mutation", type=float, default=0.0, metavar="SECONDS",
                        help="the mutation signal's budget per bug (localize_mutation_seconds;"
                             " 0: off); with --cache its runs are kept and reused")
    parser.add_argument("--mutation-weight", type=float, default=1.0,
                        help="localize_mutation_weight")
    parser.add_argument("--arc-weight", type=float, default=None,
                        help="the setting localize_arc_weight (default: the settings'"
                             " default; 0: no arc spectra; 1: a line scores the better of its"
                             " own and its best arc's); fresh coverage runs record arcs when"
                             " it is above 0, and a --cache A/B re-ranks the same runs")
    parser.add_argument("--similarity", type=float, default=None,
                        help="localize/_arcs.py's SIMILARITY: passing tests weighted by their"
                             " likeness to the failing tests to this power (0: off)")
    parser.add_argument("--values-weight", type=float, default=None, metavar="W",
                        help="the value-spectrum signal's weight (W_VALUE_ORIGIN of"
                             " localize/_values.py; 0: off): an A/B from the same cache;"
                             " given, fresh coverage runs record value spectra")
    parser.add_argument("--values-input-weight", type=float, default=None, metavar="W",
                        help="W_VALUE_INPUT of localize/_values.py (the deepest receiver of"
                             " a novel input; 0: off)")
    args = parser.parse_args()
    if args.split in ("check", "study2") and args.corpus != "real":
        parser.error(f"--split {args.split} is a split of the real bugs: add --corpus real")
    ablate(args.without, args.set)
    spectrum_refinements(args.similarity)
    if args.values_weight is not None:
        from pytest_agent.localize import _values
        from pytest_agent.localize._valuerec import VALUES_ENV

        _values.W_VALUE_ORIGIN = args.values_weight
        if args.values_input_weight is not None:
            _values.W_VALUE_INPUT = args.values_input_weight
        os.environ[VALUES_ENV] = "1"  # fresh coverage runs record the value spectra
    if args.autoload:
        os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    else:
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ.pop("PYTEST_PLUGINS", None)
    settings = AgentSettings(localize_formula=args.formula, test_timeout=args.test_timeout,
                             localize_mutation_seconds=args.mutation,
                             localize_extra_tests_seconds=settings_extra(args),
                             localize_mutation_weight=args.mutation_weight,
                             **({} if args.arc_weight is None
                                else {"localize_arc_weight": args.arc_weight}))
    if args.corpus == "real":
        return main_real(args, settings)
    return main_seeded(args, settings)


if __name__ == "__main__":
    raise SystemExit(main())
