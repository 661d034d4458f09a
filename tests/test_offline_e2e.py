"""End to end: ``pytest --agent-all`` with the offline engine repairs a seeded bug."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import GitProject
from conftest import git

from pytest_agent._types import AttemptRecord
from pytest_agent._types import Context
from pytest_agent._types import Task
from pytest_agent._types import Workspace
from pytest_agent.engines.offline import propose
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
