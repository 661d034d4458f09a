"""A project whose pytest configuration turns warnings into errors (``filterwarnings = error``).

Many real projects do (humanize in the real-bug corpus among them). The harness imports
its own inner-run plugins before the inner session loads them; pytest then warns that it
cannot rewrite them, and such a project turned that warning into a crash of every
offline validation run: the engine validated nothing. The plugins now carry pytest's
documented ``PYTEST_DONT_REWRITE`` marker, and the validation workers import third-party
plugins through pytest's own rewriting hook.
"""

from __future__ import annotations

import pytest
from conftest import GitProject
from conftest import git

from pytest_agent.plan import load_plans

PLAN = """\
tasks:
  - id: BUG-7
    description: "window(xs, n) must return the last n items"
    accept_tests:
      - tests/test_stats.py::test_window_last_items
"""

BUGGY = """\
def window(xs, n):
    start = max(0, len(xs) - n - 1)
    return xs[start:]
"""

TESTS = """\
from stats import window


def test_window_last_items():
    assert window([1, 2, 3, 4, 5], 2) == [4, 5]
"""


def test_offline_repair_in_a_project_whose_warnings_are_errors(
    project: GitProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("pytest.ini", "[pytest]\npythonpath = .\nfilterwarnings =\n    error\n")
    project.write("stats.py", BUGGY)
    project.write("tests/test_stats.py", TESTS)
    (project.root / "plans/sprint-12.yaml").unlink()
    project.write("plans/bugs.yaml", PLAN)
    project.write(".agent.yml", "offline_time_budget: 30\n")
    project.commit_all("buggy window, warnings are errors")
    monkeypatch.setenv("AGENT_ENGINE", "offline")

    # A real process, as a user runs it (in-process, the test session has imported
    # the plugin already).
    result = project.pytester.runpytest_subprocess("--agent-all", timeout=300)

    result.assert_outcomes(passed=1)
    spec = load_plans([project.root / "plans/bugs.yaml"])[0].spec
    assert (spec.status.value, spec.engine) == ("done", "offline")
    diff = git(project.root, "diff", "main", "agent/BUG-7", "--", "stats.py")
    assert "+    start = max(0, len(xs) - n)" in diff.splitlines()
