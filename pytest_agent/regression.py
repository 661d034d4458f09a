"""The regression guard: tests that passed at the base must still pass after the change.

The baseline run of a task runs every test in the accept tests' files (or the
files / node ids the plan lists under ``regression:``). Two things are read from
it:

* whether the task is *already done*: decided on the accept tests only
  (:func:`accept_view`), so an unrelated failing test in the same file does not
  make the harness search for a change;
* the *regression set* (:func:`regression_set`): the tests of that run that
  passed at the base and are not accept tests. Verify runs the accept tests and
  the regression set, and a change that breaks one is not committed
  (:func:`broken`); the offline engine validates its candidates against the same
  set.

``regression: none`` (per plan or per task) opts out: the baseline and verify
then run the accept tests only, as before the guard existed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from collections.abc import Sequence

from pytest_agent._types import Task
from pytest_agent._types import TestOutcome
from pytest_agent._types import TestRun

__all__ = [
    "accept_view",
    "baseline_targets",
    "belongs",
    "broken",
    "regression_set",
    "resolve",
    "verify_targets",
]

_OK = frozenset({TestOutcome.PASSED, TestOutcome.SKIPPED, TestOutcome.XFAILED})


def belongs(nodeid: str, selector: str) -> bool:
    """Whether ``nodeid`` is ``selector`` or a test inside it (file, directory, class)."""
    if nodeid == selector:
        return True
    base = selector.rstrip("/")
    return nodeid.startswith((base + "::", selector + "[", base + "/"))


def _belongs_any(nodeid: str, selectors: Iterable[str]) -> bool:
    return any(belongs(nodeid, s) for s in selectors)


def baseline_targets(task: Task) -> tuple[str, ...]:
    """What the baseline run of ``task`` runs: its accept tests and its regression scope.

    ``task.regression`` is ``None`` for the default scope (the accept tests' files),
    ``()`` for none, or the files / node ids the plan lists.
    """
    # The accept tests are named too (pytest runs each test once): a collection error
    # or a missing test is then reported under the accept test's own id.
    scope = task.accept_test_files if task.regression is None else task.regression
    return tuple(dict.fromkeys([*task.accept_tests, *scope]))


def accept_view(run: TestRun, accept_tests: Sequence[str]) -> TestRun:
    """``run`` restricted to the accept tests (what decides "already passing" and "fixed").

    An accept test the run did not report is ``missing`` -- or takes the outcome and
    failure text of a reported ancestor (its file failed to collect).
    """
    outcomes: dict[str, TestOutcome] = {}
    failures: dict[str, str] = {}
    for accept in accept_tests:
        inside = [n for n in run.outcomes if belongs(n, accept)]
        if not inside:
            inside = [n for n in run.outcomes if belongs(accept, n)]
        for nodeid in inside:
            outcomes[nodeid] = run.outcomes[nodeid]
            if nodeid in run.failures:
                failures[nodeid] = run.failures[nodeid]
        if not inside:
            outcomes[accept] = TestOutcome.MISSING
            failures[accept] = (
                "the test did not run: timed out" if run.timed_out
                else "the test was not collected or did not report (wrong node id?)"
            )
    return dataclasses.replace(run, outcomes=outcomes, failures=failures)


def regression_set(baseline: TestRun, task: Task) -> tuple[str, ...]:
    """The tests of ``baseline`` that passed and are not accept tests, in run order."""
    if task.regression == ():
        return ()
    return tuple(
        nodeid for nodeid, outcome in baseline.outcomes.items()
        if outcome is TestOutcome.PASSED and "::" in nodeid
        and not _belongs_any(nodeid, task.accept_tests)
    )


def resolve(task: Task, baseline: TestRun) -> Task:
    """``task`` with ``regression`` replaced by its regression set read from ``baseline``."""
    return dataclasses.replace(task, regression=regression_set(baseline, task))


def verify_targets(task: Task) -> tuple[str, ...]:
    """What verify runs: the accept tests, then the (resolved) regression set."""
    return tuple(dict.fromkeys([*task.accept_tests, *(task.regression or ())]))


def broken(run: TestRun, regression: Sequence[str]) -> tuple[str, ...]:
    """The tests of ``regression`` that did not pass in ``run`` (not reported counts)."""
    return tuple(n for n in regression if run.outcomes.get(n, TestOutcome.MISSING) not in _OK)
