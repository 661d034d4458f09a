"""What an agent run's outer process loads (#13: the start-up cost of a task)."""

from __future__ import annotations

import os
import textwrap

import pytest
from conftest import GREET_DIFF
from conftest import GitProject

ROOT_CONFTEST = f"""\
GREET_DIFF = {GREET_DIFF!r}


def pytest_agent_propose_diff(task, context):
    return GREET_DIFF
"""

#: A tests/conftest.py that says which process imported it.
TESTS_CONFTEST = """\
import os

with open({log!r}, "a") as log:
    log.write(f"{{os.getpid()}}\\n")
"""


@pytest.mark.parametrize("ini_extra", ["", "testpaths = tests\n"], ids=["no-args", "testpaths"])
def test_agent_run_loads_the_plan_conftests_not_the_tests(
    project: GitProject, ini_extra: str
) -> None:
    """The outer process collects only plan files: the root conftest.py (the proposer)
    is loaded, tests/conftest.py is not; the inner runs, which run the tests, load it."""
    log = project.root.parent / f"{project.root.name}-imports.log"
    project.write("conftest.py", ROOT_CONFTEST)
    project.write("tests/conftest.py", TESTS_CONFTEST.format(log=str(log)))
    project.write("pytest.ini", "[pytest]\npythonpath = .\n" + ini_extra)
    project.commit_all("conftests")
    result = project.pytester.runpytest("--agent-run", "T-101")
    result.assert_outcomes(passed=1)
    importers = log.read_text().split()
    assert str(os.getpid()) not in importers  # pytester runs the outer session in-process
    assert importers, "the inner runs did not load tests/conftest.py"


def test_ordinary_run_still_loads_test_dir_conftests(project: GitProject) -> None:
    """Without an agent option pytest's own choice of initial conftests stands."""
    log = project.root.parent / f"{project.root.name}-imports.log"
    project.write("tests/conftest.py", TESTS_CONFTEST.format(log=str(log)))
    project.write("tests/test_other.py", "def test_ok():\n    pass\n")
    project.commit_all("conftests")
    result = project.pytester.runpytest("tests/test_other.py")
    result.assert_outcomes(passed=1)
    assert log.read_text().split() == [str(os.getpid())]


def test_agent_run_with_an_invalid_setting_still_reports_it(project: GitProject) -> None:
    """The early look at the settings (for the plan path) leaves the error to the session."""
    project.write(".agent.yml", textwrap.dedent("""\
        max_reflexion_retries: -1
        """))
    project.commit_all("bad setting")
    result = project.pytester.runpytest("--agent-run", "T-101")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*max_reflexion_retries*"])


FREEZE_PROBE = f"""\
import gc

GREET_DIFF = {GREET_DIFF!r}


def pytest_unconfigure(config):
    print("FROZEN", gc.get_freeze_count() > 0)


def pytest_agent_propose_diff(task, context):
    return GREET_DIFF
"""


def test_agent_runs_freeze_the_start_up_heap_ordinary_runs_do_not(project: GitProject) -> None:
    """An agent run's imports are kept out of the cyclic collector (pytest collects five
    times at the end of a session); an ordinary run's heap is left alone."""
    project.write("conftest.py", FREEZE_PROBE)
    project.commit_all("probe")
    agent = project.pytester.runpytest_subprocess("--agent-run", "T-101", "-s")
    agent.assert_outcomes(passed=1)
    agent.stdout.fnmatch_lines(["*FROZEN True*"])
    plain = project.pytester.runpytest_subprocess("tests", "-s")
    plain.stdout.fnmatch_lines(["*FROZEN False*"])
