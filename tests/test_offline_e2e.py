"""End to end: ``pytest --agent-all`` with the offline engine repairs a seeded bug."""

from __future__ import annotations

import pytest
from conftest import GitProject
from conftest import git

from pytest_agent.plan import load_plans

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
