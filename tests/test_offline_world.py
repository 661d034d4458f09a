"""The search compares its validators' world with the harness's run before searching.

Every candidate is judged in validator sessions (the failing accept tests first, then
the other accept tests, then the regression set, ``-x``). A test whose outcome on the
unchanged code differs there from the harness's baseline would judge every candidate
wrongly: the search runs those sessions once without ``-x``, compares, and acts: the
harness's order of the tests when running the failing ones first hid their failure, a
regression test that fails only in the validators left out (the final verify runs it),
and a note in the proposal either way.
"""

from __future__ import annotations

from pathlib import Path

from pytest_agent import regression
from pytest_agent._types import Context
from pytest_agent._types import Proposal
from pytest_agent._types import Task
from pytest_agent._types import Workspace
from pytest_agent.engines.offline import propose
from pytest_agent.settings import AgentSettings
from pytest_agent.testrun import run_tests


def _propose(root: Path, files: dict[str, str], accept: tuple[str, ...]) -> Proposal:
    """Write a project, run the harness's baseline (the accept tests, then the rest of
    their files, in a fresh process as the final verify runs), propose."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    task = Task(id="T-1", description="fix it", accept_tests=accept)
    ws = Workspace(root=root, branch="agent/T-1", base_commit="0" * 40, repo_root=root)
    baseline = run_tests(root, regression.baseline_targets(task), timeout=60)
    task = regression.resolve(task, baseline)
    context = Context(task=task, workspace=ws, attempt=1, baseline=baseline)
    return propose(task, context, ws, AgentSettings(offline_workers=1,
                                                    offline_time_budget=30))


#: ``reset`` leaves one item: the accept test ``test_reset`` fails after ``test_remember``
#: (the harness's order) and passes when it runs first (the validators' usual order).
COUNTER = '''\
_seen = []


def remember(item):
    _seen.append(item)


def count():
    return len(_seen)


def reset():
    if len(_seen) > 1:
        _seen.clear()
'''
COUNTER_TESTS = '''\
import counter


def test_remember():
    counter.remember("a")
    assert counter.count() == 1


def test_reset():
    counter.reset()
    assert counter.count() == 0
'''


def test_a_failure_hidden_by_running_the_failing_test_first_is_searched_in_order(
        tmp_path: Path) -> None:
    proposal = _propose(tmp_path, {"counter.py": COUNTER,
                                   "tests/test_counter.py": COUNTER_TESTS},
                        ("tests/test_counter.py::test_remember",
                         "tests/test_counter.py::test_reset"))
    assert proposal.diff, proposal.stop_reason
    assert "-    if len(_seen) > 1:" in proposal.diff
    assert ("Note: tests/test_counter.py::test_reset fail(s) only after the tests the "
            "harness ran before it: the candidates' sessions run the tests in the "
            "harness's order") in proposal.notes


#: ``restart_command`` is how a program re-executes itself: from the interpreter's own
#: command line, which a validator (a fork of a process started as another program)
#: cannot give its sessions. ``total`` has the bug.
PROGRAM = '''\
import sys


def restart_command():
    return [sys.executable, *sys.orig_argv[1:]]


def total(xs):
    return sum(xs) + 1
'''
PROGRAM_TESTS = '''\
from program import restart_command, total


def test_restart_runs_the_same_program():
    assert restart_command()[1:3] == ["-m", "pytest"]


def test_total():
    assert total([1, 2]) == 3
'''


def test_a_regression_test_that_fails_only_in_the_validators_is_left_out(
        tmp_path: Path) -> None:
    proposal = _propose(tmp_path, {"program.py": PROGRAM,
                                   "tests/test_program.py": PROGRAM_TESTS},
                        ("tests/test_program.py::test_total",))
    # Not a "plausible only: review" fix that breaks the other test: that test failed
    # in the validators for every candidate, the fix included.
    assert "review" not in proposal.notes.lower(), proposal.notes
    assert "+    return sum(xs)\n" in proposal.diff
    assert ("Note: tests/test_program.py::test_restart_runs_the_same_program of the "
            "regression set passed in the harness's run but fail(s) in the validation "
            "workers") in proposal.notes


#: A regression set that takes longer than a candidate's timeout (each test sleeps):
#: a correct candidate's session would time out running it.
SLOW_TESTS = '''\
import time

import pytest

from program import total


def test_total():
    assert total([1, 2]) == 3


@pytest.mark.parametrize("n", range(30))
def test_slow(n):
    time.sleep(0.05)
    assert total([n]) >= n
'''


def test_a_regression_set_too_slow_for_a_candidates_timeout_runs_for_winners_only(
        tmp_path: Path) -> None:
    for rel, text in {"program.py": PROGRAM, "tests/test_program.py": SLOW_TESTS}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    accept = ("tests/test_program.py::test_total",)
    task = Task(id="T-1", description="fix it", accept_tests=accept)
    ws = Workspace(root=tmp_path, branch="agent/T-1", base_commit="0" * 40,
                   repo_root=tmp_path)
    baseline = run_tests(tmp_path, regression.baseline_targets(task), timeout=60)
    task = regression.resolve(task, baseline)
    assert len(task.regression or ()) == 30
    context = Context(task=task, workspace=ws, attempt=1, baseline=baseline)
    # 30 x 0.05 s of sleep alone is more than a candidate's 1 s.
    proposal = propose(task, context, ws, AgentSettings(
        offline_workers=1, offline_time_budget=30, candidate_timeout=1.0))
    assert "+    return sum(xs)\n" in proposal.diff, proposal.stop_reason
    assert "review" not in proposal.notes.lower(), proposal.notes
    assert "Note: the regression set (30 tests) took" in proposal.notes
