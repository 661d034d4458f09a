"""The orchestration of one localization: the coverage run, the ranking, the pack."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from pytest_agent._types import Localization
from pytest_agent._types import Task
from pytest_agent._types import TestRun
from pytest_agent._types import Workspace
from pytest_agent.localize._coverage import SpectrumRun
from pytest_agent.localize._coverage import run_spectrum
from pytest_agent.localize._coverage import without_false_hangs
from pytest_agent.localize._mutants import mutation_signal
from pytest_agent.localize._pack import build_pack
from pytest_agent.localize._rank import rank
from pytest_agent.localize._signals import task_failures
from pytest_agent.localize._widen import extra_targets
from pytest_agent.localize._widen import merge_passing
from pytest_agent.localize._widen import tied_functions
from pytest_agent.settings import AgentSettings

__all__ = ["run_localization"]


def run_localization(
    task: Task, workspace: Workspace, baseline: TestRun | None, settings: AgentSettings
) -> Localization:
    started = time.monotonic()
    test_root = workspace.test_root
    targets = task.accept_test_files or task.accept_tests
    spectrum: SpectrumRun | None = None
    if targets:
        # The per-test cap: a quarter of the run's budget, never above
        # ``per_test_timeout_max`` (0: none); a hanging test is stopped and reported
        # where it was, the other tests still run (``_timeout``, told by _covplugin
        # how much slower the coverage run is).
        per_test = max(1.0, settings.test_timeout / 4)
        if settings.per_test_timeout_max > 0:
            per_test = min(per_test, max(1.0, settings.per_test_timeout_max))
        spectrum = run_spectrum(
            test_root, workspace.root, targets,
            timeout=settings.test_timeout * 1.5, per_test_limit=per_test,
            profiled=task.accept_tests, arcs=settings.localize_arc_weight > 0,
        )
        spectrum = without_false_hangs(spectrum, baseline)
        if settings.localize_extra_tests_seconds > 0:
            spectrum = _widened(spectrum, task, workspace, targets,
                                settings.localize_extra_tests_seconds, per_test,
                                arcs=settings.localize_arc_weight > 0)
    test_files = [str((test_root / t.split("::", 1)[0]).resolve()) for t in targets]
    ranking = rank(workspace.root, task, spectrum, baseline, settings.localize_formula,
                   test_files, test_root, arc_weight=settings.localize_arc_weight)
    ranking = mutation_signal(ranking, task, workspace, spectrum, baseline, settings)  # mbfl
    failures: dict[str, str] = {}
    if baseline is not None:
        failures.update(baseline.failures)
    if spectrum is not None:
        for nodeid, text in sorted(spectrum.failures.items()):
            failures.setdefault(nodeid, text)
    pack = build_pack(task, workspace.root, test_root, ranking.functions, failures,
                      settings.context_token_budget)
    return Localization(
        functions=ranking.functions, lines=ranking.lines, pack=pack, method=ranking.method,
        duration=time.monotonic() - started,
        timed_out=spectrum.timed_out if spectrum is not None else False,
    )


def _widened(run: SpectrumRun, task: Task, workspace: Workspace, targets: Sequence[str],
             budget: float, per_test: float, *, arcs: bool = False) -> SpectrumRun:
    """``run`` with the passing tests of other test files that name the functions tied
    at its top, run under the same plugin for at most ``budget`` seconds (:mod:`._widen`)."""
    failing = task_failures(task.accept_tests, run.failing)
    if run.cut_before_accept or not run.has_coverage or not failing:
        return run
    started = time.monotonic()
    tied = tied_functions(run, failing, workspace.root)
    extra = extra_targets(tied, workspace.test_root, targets)
    if not extra:
        return run
    # The accept tests are named as the profiled ones: none of them is among these
    # files, so no test here gets the value and statement recorders.
    found = run_spectrum(workspace.test_root, workspace.root, extra, timeout=budget,
                         per_test_limit=min(per_test, max(1.0, budget / 2)),
                         profiled=task.accept_tests, arcs=arcs)
    return replace(merge_passing(run, found), extra_seconds=time.monotonic() - started)
