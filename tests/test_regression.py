"""The regression guard: a change that breaks a test that passed at the base is not committed."""

from __future__ import annotations

import textwrap

import pytest
from conftest import GitProject

from pytest_agent import regression
from pytest_agent._types import Task
from pytest_agent._types import TestOutcome
from pytest_agent.plan import PlanError
from pytest_agent.plan import load_plans
from pytest_agent.testrun import run_tests

# Makes test_greet pass and breaks other(), which test_other checked.
BREAKING_DIFF = """\
--- a/src/hello.py
+++ b/src/hello.py
@@ -1,2 +1,6 @@
 def other():
-    return 1
+    return 2
+
+
+def greet(name):
+    return f"Hello, {name}!"
"""

TESTS_WITH_OTHER = """\
from src.hello import other


def test_greet():
    from src.hello import greet
    assert greet("Ada") == "Hello, Ada!"


def test_other():
    assert other() == 1


def test_already_broken():
    assert False
"""


def _breaking_project(project: GitProject, plan_extra: str = "", task_extra: str = "") -> None:
    project.write("tests/test_hello.py", TESTS_WITH_OTHER)
    project.write("conftest.py", f"BREAKING_DIFF = {BREAKING_DIFF!r}\n" + textwrap.dedent("""\
        def pytest_agent_propose_diff(task, context):
            return BREAKING_DIFF
        """))
    project.write("plans/sprint-12.yaml", plan_extra + textwrap.dedent("""\
        tasks:
          - id: T-101
            description: add greet
            accept_tests: [tests/test_hello.py::test_greet]
            max_reflexion_retries: 0
        """) + task_extra)
    project.commit_all("breaking proposer")


def test_change_that_breaks_a_passing_test_of_the_file_is_not_committed(
    project: GitProject,
) -> None:
    _breaking_project(project)
    result = project.pytester.runpytest("--agent-all")
    result.assert_outcomes(failed=1)
    # The report names the broken test; the failing-at-base test is not blamed.
    result.stdout.fnmatch_lines(["*regression*tests/test_hello.py::test_other*"])
    assert "test_already_broken" not in result.stdout.str().split("regression")[1].splitlines()[0]
    assert project.branches() == ["main"]
    spec = load_plans([project.root / "plans/sprint-12.yaml"])[0].spec
    assert spec.status.value == "failed"
    assert "tests/test_hello.py::test_other" in (spec.last_error or "")


def test_regression_none_opts_out(project: GitProject) -> None:
    _breaking_project(project, plan_extra="regression: none\n")
    result = project.pytester.runpytest("--agent-all")
    result.assert_outcomes(passed=1)
    assert "agent/T-101" in project.branches()


def test_task_regression_list_overrides_the_plan(project: GitProject) -> None:
    # The plan opts out, the task lists another file whose test the change breaks.
    project.write("tests/test_more.py", "from src.hello import other\n\n\n"
                  "def test_more():\n    assert other() == 1\n")
    _breaking_project(project, plan_extra="regression: none\n",
                      task_extra="    regression: [tests/test_more.py]\n")
    result = project.pytester.runpytest("--agent-all")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*regression*tests/test_more.py::test_more*"])
    assert project.branches() == ["main"]


def test_already_passing_is_decided_on_the_accept_tests_only(project: GitProject) -> None:
    project.write("src/hello.py", "def other():\n    return 1\n\n\n"
                  "def greet(name):\n    return f'Hello, {name}!'\n")
    _breaking_project(project)
    result = project.pytester.runpytest("--agent-all")
    # test_already_broken fails in the same file, yet there is nothing to do.
    result.assert_outcomes(passed=1)
    assert project.branches() == ["main"]


def test_regression_set_from_a_real_run(project: GitProject) -> None:
    project.write("tests/test_hello.py", TESTS_WITH_OTHER)
    task = Task(id="T", description="d", accept_tests=("tests/test_hello.py::test_greet",))
    base = run_tests(project.root, regression.baseline_targets(task), timeout=60)
    assert set(base.outcomes) == {
        "tests/test_hello.py::test_greet", "tests/test_hello.py::test_other",
        "tests/test_hello.py::test_already_broken",
    }
    accept = regression.accept_view(base, task.accept_tests)
    assert list(accept.outcomes) == ["tests/test_hello.py::test_greet"]
    assert not accept.passed
    resolved = regression.resolve(task, base)
    assert resolved.regression == ("tests/test_hello.py::test_other",)
    assert regression.verify_targets(resolved) == (
        "tests/test_hello.py::test_greet", "tests/test_hello.py::test_other")
    assert regression.broken(base, resolved.regression) == ()


def test_accept_view_takes_a_collection_error_of_the_file(project: GitProject) -> None:
    project.write("tests/test_hello.py", "import nowhere_to_be_found\n")
    task = Task(id="T", description="d", accept_tests=("tests/test_hello.py::test_greet",))
    base = run_tests(project.root, regression.baseline_targets(task), timeout=60)
    accept = regression.accept_view(base, task.accept_tests)
    assert accept.outcomes == {"tests/test_hello.py::test_greet": TestOutcome.ERROR}
    assert "nowhere_to_be_found" in accept.failures["tests/test_hello.py::test_greet"]
    # Without the accept test's own id in the run, its file's outcome stands for it.
    files_only = run_tests(project.root, task.accept_test_files, timeout=60)
    accept = regression.accept_view(files_only, task.accept_tests)
    assert accept.outcomes == {"tests/test_hello.py": TestOutcome.ERROR}


@pytest.mark.parametrize("value", ["3", "yes", "['/abs.py']", "['']"])
def test_bad_plan_regression_names_the_line(project: GitProject, value: str) -> None:
    path = project.write("plans/p.yaml", f"tasks: []\nregression: {value}\n")
    with pytest.raises(PlanError, match=r"p.yaml:2: regression: "):
        load_plans([path])

