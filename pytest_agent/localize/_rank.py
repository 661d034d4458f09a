"""Combine the spectrum, the tracebacks and the task's words into ranked locations.

A line's score is its SBFL suspiciousness (``[0, 1]``) plus traceback bonuses; a
function's score is the best score of its lines plus function-level bonuses
(:mod:`._signals` lists the signals and their weights; :mod:`._ranker` the order).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pytest_agent._types import Task
from pytest_agent._types import TestRun
from pytest_agent.localize._arcs import arc_signal
from pytest_agent.localize._coverage import SpectrumRun
from pytest_agent.localize._ranker import Ranker
from pytest_agent.localize._ranker import Ranking
from pytest_agent.localize._sbfl import Formula
from pytest_agent.localize._signals import TracebackSignals
from pytest_agent.localize._signals import constant_signal
from pytest_agent.localize._signals import crash_order
from pytest_agent.localize._signals import failing_tests
from pytest_agent.localize._signals import name_signals
from pytest_agent.localize._signals import record_from_text
from pytest_agent.localize._signals import refused_constant_signal
from pytest_agent.localize._signals import spectrum_signal
from pytest_agent.localize._signals import table_signal
from pytest_agent.localize._signals import test_body_signal
from pytest_agent.localize._signals import test_module_signal
from pytest_agent.localize._signals import test_name_signal
from pytest_agent.localize._statements import statement_signal
from pytest_agent.localize._values import value_signal

__all__ = ["Ranking", "rank"]


def rank(
    root: Path,
    task: Task,
    spectrum: SpectrumRun | None,
    baseline: TestRun | None,
    formula: Formula,
    test_files: Iterable[str],
    test_root: Path,
    *,
    arc_weight: float = 0.0,
) -> Ranking:
    """Rank project code for ``task`` from the localization run (and the baseline);
    ``arc_weight``: ``localize_arc_weight``, what the arc spectrum adds (:mod:`._arcs`)."""
    test_files = list(test_files)
    spectrum = None if spectrum is not None and spectrum.cut_before_accept else spectrum
    ranker = Ranker(root, test_files)
    methods: list[str] = []
    failing = failing_tests(task.accept_tests, spectrum, baseline)
    # The failing tests' failures: read by the spectrum (which exceptions they report)
    # and by the traceback signals.
    texts = {n: t for n, t in _failure_texts(spectrum, baseline).items()
             if n in failing or "::" not in n}  # the task's failures, collection errors
    records = [r for r in (spectrum.exceptions if spectrum is not None else ())
               if r.nodeid in failing or "::" not in r.nodeid]
    if not records:
        records = [record_from_text(nodeid, text, test_root) for nodeid, text in texts.items()]

    # 1. Spectrum-based scores from per-test coverage.
    if (spectrum is not None and spectrum.has_coverage and failing
            and spectrum_signal(ranker, spectrum, formula, failing, records)):
        methods.append("coverage")
        arc_signal(ranker, spectrum, formula, failing, arc_weight)  # before other signals
        table_signal(ranker, failing, spectrum.passing, test_root)
        value_signal(ranker, spectrum, failing)  # where a bad value first appeared (_values)

    # 2. Tracebacks, hangs, value flow and missing members of the failing tests.
    share = 1.0 / max(1, len(failing))
    signals = TracebackSignals(ranker, test_root, texts, share)
    if signals.run(records):
        methods.append("traceback")
    for nodeid in sorted(failing - signals.seen_tests):
        test_body_signal(ranker, nodeid, test_root, share)
    if spectrum is not None:  # which statements of a failing test entered what (_statements)
        statement_signal(ranker, spectrum.attribution, spectrum.exceptions, failing, share)

    # 3. Names: the task's words and files.
    name_signals(ranker, task, test_files)
    test_name_signal(ranker, failing, share, test_root)
    test_module_signal(ranker, failing, share)
    constant_signal(ranker)
    refused_constant_signal(ranker, signals.refused)  # a constant that decided a raise
    crash_order(ranker, signals.crashes)
    if not methods and ranker.functions:
        methods.append("names")
    return ranker.ranking("+".join(methods) or "none")


def _failure_texts(spectrum: SpectrumRun | None, baseline: TestRun | None) -> dict[str, str]:
    texts: dict[str, str] = {}
    if spectrum is not None:
        texts.update(spectrum.failures)
    if baseline is not None:
        for nodeid, text in baseline.failures.items():
            texts.setdefault(nodeid, text)
    return texts
