"""End to end: ``pytest --agent-all`` with the offline engine repairs a seeded bug."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import GitProject
from conftest import git

from pytest_agent._types import AttemptRecord
from pytest_agent._types import Context
from pytest_agent._types import Location
from pytest_agent._types import Proposal
from pytest_agent._types import Task
from pytest_agent._types import TestOutcome
from pytest_agent._types import TestRun
from pytest_agent._types import Workspace
from pytest_agent.engines.offline import propose
from pytest_agent.engines.offline._engine import SearchReport
from pytest_agent.engines.offline._engine import _failure
from pytest_agent.engines.offline._engine import _locations
from pytest_agent.engines.offline._hang import hang_frames
from pytest_agent.engines.offline._search import Suspiciousness
from pytest_agent.plan import load_plans
from pytest_agent.settings import AgentSettings
from pytest_agent.testrun import run_tests

PLAN = """\
# plans/bugs.yaml
tasks:
  - id: BUG-1
    description: "window(xs, n) must return the last n items"
    accept_tests:
      - tests/test_stats.py::test_window_last_items
    # harness-owned:
    status: pending
    attempts: 0
"""

BUGGY = '''\
"""Small statistics helpers."""


def mean(xs):
    if not xs:
        raise ValueError("mean of nothing")
    return sum(xs) / len(xs)


def window(xs, n):
    # The most recent n readings, oldest first.
    start = max(0, len(xs) - n - 1)
    return xs[start:]
'''

TESTS = """\
from stats import mean, window


def test_mean():
    assert mean([1, 2, 3]) == 2


def test_window_last_items():
    assert window([1, 2, 3, 4, 5], 2) == [4, 5]
    assert window([1, 2], 5) == [1, 2]
"""


@pytest.fixture
def buggy(project: GitProject) -> GitProject:
    project.write("stats.py", BUGGY)
    project.write("tests/test_stats.py", TESTS)
    (project.root / "plans/sprint-12.yaml").unlink()
    project.write("plans/bugs.yaml", PLAN)
    project.write(".agent.yml", "offline_time_budget: 30\n")
    project.commit_all("buggy stats")
    return project


def test_agent_all_repairs_the_bug_with_the_offline_engine(
    buggy: GitProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENT_ENGINE", "offline")
    before = buggy.snapshot()
    result = buggy.pytester.runpytest("--agent-all")
    result.assert_outcomes(passed=1)
    assert buggy.branches() == ["agent/BUG-1", "main"]
    diff = git(buggy.root, "diff", "main", "agent/BUG-1", "--", "stats.py")
    changed = [ln for ln in diff.splitlines() if ln.startswith(("+", "-"))
               and not ln.startswith(("+++", "---"))]
    # One line changed, formatting and comments kept.
    assert changed == ["-    start = max(0, len(xs) - n - 1)", "+    start = max(0, len(xs) - n)"]
    assert "# The most recent n readings" in git(buggy.root, "show", "agent/BUG-1:stats.py")
    # The user's checkout is untouched; the plan says done, by the offline engine.
    assert buggy.snapshot() == before
    assert buggy.worktrees() == [str(buggy.root)]
    spec = load_plans([buggy.root / "plans/bugs.yaml"])[0].spec
    assert (spec.status.value, spec.attempts, spec.engine) == ("done", 1, "offline")
    assert spec.commit == git(buggy.root, "rev-parse", "agent/BUG-1").strip()
    assert "# plans/bugs.yaml" in buggy.plan_text("plans/bugs.yaml")


def test_propose_directly_never_repeats_a_previous_diff(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "stats.py").write_text(BUGGY)
    (tmp_path / "tests" / "test_stats.py").write_text(TESTS)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    task = Task(id="BUG-1", description="window", accept_tests=(
        "tests/test_stats.py::test_window_last_items",))
    ws = Workspace(root=tmp_path, branch="agent/BUG-1", base_commit="0" * 40,
                   repo_root=tmp_path)
    settings = AgentSettings(offline_time_budget=30)
    baseline = run_tests(tmp_path, task.accept_tests, timeout=60)
    first = propose(task, Context(task=task, workspace=ws, attempt=1, baseline=baseline), ws,
                    settings)
    assert first is not None and first.engine == "offline"
    assert "-    start = max(0, len(xs) - n - 1)" in first.diff
    record = AttemptRecord(1, first, None, None, None, 0.0)
    second = propose(task, Context(task=task, workspace=ws, attempt=2, baseline=baseline,
                                   history=(record,)), ws, settings)
    # Another repair (or an empty diff saying why not), never the same diff; the
    # workspace is never written.
    assert second is not None
    assert second.diff != first.diff
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


# -- hangs, failures that explain themselves, overfitting marks (issue #12) ---------------


def _propose(tmp_path: Path, files: dict[str, str], accept: tuple[str, ...],
             ranked: tuple[Location, ...] = (), regression: tuple[str, ...] | None = None,
             **settings: object) -> Proposal:
    """Write a project, run its accept tests once (the harness's baseline), propose
    (with the harness's ranking ``ranked``, else the engine localizes)."""
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    task = Task(id="T-1", description="fix it", accept_tests=accept, regression=regression)
    ws = Workspace(root=tmp_path, branch="agent/T-1", base_commit="0" * 40,
                   repo_root=tmp_path)
    options = {"offline_workers": 1, "offline_time_budget": 30, **settings}
    baseline = run_tests(tmp_path, accept, timeout=float(options.pop("baseline_timeout", 60)))
    context = Context(task=task, workspace=ws, attempt=1, baseline=baseline,
                      locations=ranked, lines=ranked)
    return propose(task, context, ws, AgentSettings(**options))  # type: ignore[arg-type]


HANGS = '''\
def steps(n, stride):
    """How many strides reach n from 0."""
    count = 0
    pos = 0
    while pos < n:
        pos -= stride
        count += 1
    return count
'''


def test_a_loop_that_never_ends_is_repaired(tmp_path: Path) -> None:
    # The baseline hangs (cut by its timeout); every candidate that still hangs costs
    # only its own timeout, and the wrong augmented assignment is found. (The harness
    # localizes once per task, with per-test timeouts; here its ranking is given.)
    ranked = (Location("walk.py", "steps", 1, 8, 1.0, ("hung here",), 6),)
    proposal = _propose(tmp_path, {
        "walk.py": HANGS,
        "tests/test_walk.py": "from walk import steps\n\n\ndef test_steps():\n"
                              "    assert steps(10, 5) == 2\n",
    }, ("tests/test_walk.py::test_steps",), ranked, baseline_timeout=3, candidate_timeout=3)
    assert "+        pos += stride" in proposal.diff, proposal.stop_reason


def test_a_hung_frame_is_searched_first(tmp_path: Path) -> None:
    (tmp_path / "walk.py").write_text("def other():\n    return 1\n\n\n" + HANGS)
    failure = "Failed: Timeout\nhung in steps (walk.py:10) after 2.0 s"
    baseline = TestRun(outcomes={"t.py::test_x": TestOutcome.FAILED},
                       failures={"t.py::test_x": failure}, output="", exit_code=1,
                       duration=2.0)
    task = Task(id="T-1", description="x", accept_tests=("t.py::test_x",))
    ws = Workspace(root=tmp_path, branch="b", base_commit="0" * 40, repo_root=tmp_path)
    assert hang_frames(baseline, tmp_path) == [("walk.py", "steps", 10)]
    ranked = (Location("walk.py", "other", 1, 2, 5.0, (), 2),)
    problems: list[str] = []
    functions, lines = _locations(task, Context(task=task, workspace=ws, attempt=1,
                                                baseline=baseline, locations=ranked,
                                                lines=ranked), ws, AgentSettings(), problems)
    assert [f.function for f in functions] == ["steps", "other"]
    # The hung line, then the loop's header and the update of the name it reads.
    assert [ln.line for ln in lines] == [10, 9, 2]
    assert all(ln.score > ranked[0].score for ln in lines[:2])
    assert problems == []


GREET = 'def greet(name):\n    return "Hello"\n'
GREET_TEST = 'from greet import greet\n\n\ndef test_greet():\n    assert greet("Ann") == ' \
             '"Bonjour, Ann! Bienvenue."\n'


def test_an_exhausted_search_says_so_in_one_line(tmp_path: Path) -> None:
    proposal = _propose(tmp_path, {"greet.py": GREET, "tests/test_greet.py": GREET_TEST},
                        ("tests/test_greet.py::test_greet",))
    reason = proposal.stop_reason or ""
    assert proposal.diff == "" and "\n" not in reason
    assert re.search(r"no passing change: \d+ candidate\(s\) validated of \d+ generated in "
                     r"[\d.]+s; stopped because the repair space was exhausted", reason), reason
    assert "configure" not in reason.lower()


def test_a_search_cut_by_its_budget_says_which(tmp_path: Path) -> None:
    proposal = _propose(tmp_path, {"greet.py": GREET, "tests/test_greet.py": GREET_TEST},
                        ("tests/test_greet.py::test_greet",), offline_max_candidates=2)
    assert ": 2 candidate(s) validated of " in (proposal.stop_reason or "")
    assert "candidate budget (offline_max_candidates) was used up" in (
        proposal.stop_reason or "")


def test_tests_that_cannot_run_stop_the_search_with_the_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests that only import in the user's tree (a path check at import time) cannot
    # run in the fallback workers' copies (forked validators run in the tree itself):
    # no search, and the reason says so.
    monkeypatch.setenv("PYTEST_AGENT_NO_FORK", "1")
    proposal = _propose(tmp_path, {
        "greet.py": GREET,
        "tests/test_greet.py": "assert 'pytest-agent-offline' not in __file__\n" + GREET_TEST,
    }, ("tests/test_greet.py::test_greet",))
    assert proposal.diff == ""
    assert "stopped because the tests could not run in the validation workers (" in (
        proposal.stop_reason or "")


def test_a_test_that_cannot_be_collected_stops_before_any_search(tmp_path: Path) -> None:
    proposal = _propose(tmp_path, {
        "greet.py": GREET,
        "tests/test_greet.py": "import no_such_module\n\n\ndef test_greet():\n    pass\n",
    }, ("tests/test_greet.py::test_greet", "tests/test_greet.py::test_nope"))
    reason = proposal.stop_reason or ""
    assert proposal.diff == "" and "\n" not in reason
    assert reason.startswith(
        "offline search not started: the accept tests could not run: "
        "tests/test_greet.py::test_greet (and 1 more) could not be collected: ")
    assert "No module named 'no_such_module'" in reason


def test_nothing_to_edit_is_named_with_its_cause() -> None:
    report = SearchReport(None, False, validated=0, generated=0, duration=0.1,
                          validation_time=0.0, stopped_by="no candidate")
    proposal = _failure(report, Suspiciousness(), ["the accept tests' run timed out after 9s"])
    assert (proposal.stop_reason or "").endswith(
        "stopped because no function to edit: localization ranked none outside the tests; "
        "the accept tests' run timed out after 9s")


def test_the_best_partial_candidate_is_kept_with_its_diff(tmp_path: Path) -> None:
    proposal = _propose(tmp_path, {
        "scale.py": "def scale(x):\n    return x * 2 + 1\n",
        "tests/test_scale.py": "from scale import scale\n\n\ndef test_zero():\n"
                               "    assert scale(0) == 0\n\n\ndef test_big():\n"
                               "    assert scale(3) == 1000\n",
    }, ("tests/test_scale.py::test_zero", "tests/test_scale.py::test_big"),
        offline_max_candidates=40)
    assert proposal.diff == "" and proposal.stop_reason
    assert "Best partial candidate" in proposal.notes
    assert "1 of 2 failing accept test(s) pass with it" in proposal.notes
    assert "-    return x * 2 + 1" in proposal.notes  # its diff


def test_every_candidate_hung_is_the_reason_when_it_is() -> None:
    report = SearchReport(None, False, validated=5, generated=40, duration=6.0,
                          validation_time=5.0, stopped_by="candidates exhausted", hung=5)
    susp = Suspiciousness(spans=[("m.py", 1, 3, 1.0)])
    proposal = _failure(report, susp, ["localization failed (OSError: x)"])
    assert proposal.stop_reason == (
        "offline search found no passing change: 5 candidate(s) validated of 40 generated "
        "in 6.0s; "
        "stopped because every candidate hung (cut by its timeout); "
        "localization failed (OSError: x)")


def test_a_winning_overfitting_pattern_is_marked_for_review(tmp_path: Path) -> None:
    proposal = _propose(tmp_path, {
        "echo.py": "def echo(v):\n    print(v)\n    return v\n",
        "tests/test_echo.py": "from echo import echo\n\n\ndef test_echo():\n"
                              "    assert echo(3) is None\n",
    }, ("tests/test_echo.py::test_echo",))
    assert "-    return v" in proposal.diff
    assert proposal.notes.startswith("plausible only: review (deletes a return)")


# -- a winner must keep the project's other tests (#12 follow-up) -----------------------

#: ``total`` is wrong (``* 2`` where ``* 3`` belongs). Changing the helper ``inc`` to
#: ``x + 2`` passes the accept test too, and breaks the helper's own test in another file.
SHARED = {
    "calc.py": "def inc(x):\n    return x + 1\n\n\ndef total(x):\n    return inc(x) * 2\n",
    "tests/test_total.py": "from calc import total\n\n\ndef test_total():\n"
                           "    assert total(1) == 6\n",
    "tests/unit/test_inc.py": "from calc import inc\n\n\ndef test_inc():\n"
                              "    assert inc(1) == 2\n",
    # A test module that cannot be imported here must not silence the others.
    "tests/test_extra.py": "import no_such_dependency  # noqa: F401\n",
}
#: The helper ranked first: its edit is the first candidate that passes the accept test.
HELPER_FIRST = (Location("calc.py", "inc", 1, 2, 1.0, line=2),
                Location("calc.py", "total", 5, 6, 0.5, line=6))


def test_a_winner_that_breaks_another_test_file_is_rejected(tmp_path: Path) -> None:
    proposal = _propose(tmp_path, SHARED, ("tests/test_total.py::test_total",), HELPER_FIRST)
    # Not ``return x + 2`` (it breaks tests/unit/test_inc.py): the search went on.
    assert "+    return inc(x) * 3" in proposal.diff, proposal.stop_reason
    assert "x + 2" not in proposal.diff


def test_a_search_whose_only_winner_breaks_other_tests_says_so(tmp_path: Path) -> None:
    proposal = _propose(tmp_path, SHARED, ("tests/test_total.py::test_total",),
                        HELPER_FIRST[:1])
    reason = proposal.stop_reason or ""
    assert proposal.diff == "" and "\n" not in reason
    assert "passed the accept tests and their files but broke other tests of the project " \
           "(1 test(s), first tests/unit/test_inc.py::test_inc)" in reason, reason
    assert "Rejected candidate" in proposal.notes and "+    return x + 2" in proposal.notes


def test_regression_none_turns_the_other_files_check_off(tmp_path: Path) -> None:
    proposal = _propose(tmp_path, SHARED, ("tests/test_total.py::test_total",),
                        HELPER_FIRST[:1], regression=())
    assert "+    return x + 2" in proposal.diff



def test_the_stop_line_counts_every_validated_candidate_as_generated(tmp_path: Path) -> None:
    # ``+ -> -`` at the places of ``a + "-" + b + "-"`` are candidates beyond the single
    # edits (systematic copies): the held-out run of the previous round read
    # "974 candidate(s) validated of 973 generated" because copies were not counted.
    proposal = _propose(tmp_path, {
        "dash.py": 'def dash(a, b):\n    return a + "-" + b + "-"\n',
        "tests/test_dash.py": "from dash import dash\n\n\ndef test_dash():\n"
                              "    assert dash('x', 'y') == 'x=y'\n",
    }, ("tests/test_dash.py::test_dash",), (Location("dash.py", "dash", 1, 2, 1.0, line=2),),
        offline_workers=2)
    found = re.search(r"(\d+) candidate\(s\) validated of (\d+) generated",
                      proposal.stop_reason or "")
    assert found is not None, proposal.stop_reason
    assert "the repair space was exhausted" in (proposal.stop_reason or "")
    assert int(found[1]) <= int(found[2]), proposal.stop_reason


@pytest.mark.parametrize(("config", "text"), [
    ("pytest.ini", "[pytest]\npython_files = test_*.py check_*.py\n"),
    ("pyproject.toml", "[tool.pytest.ini_options]\npython_files = ['test_*.py', 'check_*.py']\n"),
    ("setup.cfg", "[metadata]\nname = calc\n\n[tool:pytest]\n"
                  "python_files = test_*.py check_*.py\n"),
])
def test_the_other_test_files_are_found_by_the_projects_python_files(
        tmp_path: Path, config: str, text: str) -> None:
    # The helper's test is in ``check_inc.py``, a test module only by the project's
    # ``python_files``: the winner that breaks it is rejected there too.
    files = {k: v for k, v in SHARED.items() if k != "tests/unit/test_inc.py"}
    files["tests/unit/check_inc.py"] = SHARED["tests/unit/test_inc.py"]
    files[config] = text
    proposal = _propose(tmp_path, files, ("tests/test_total.py::test_total",), HELPER_FIRST)
    assert "+    return inc(x) * 3" in proposal.diff, proposal.stop_reason
