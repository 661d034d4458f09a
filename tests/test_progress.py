"""Live progress lines under -v, nothing extra by default or under -q."""

from __future__ import annotations

import textwrap

import pytest
from conftest import GREET_DIFF
from conftest import WRONG_GREET_DIFF
from conftest import GitProject

from pytest_agent._types import LintFinding
from pytest_agent._types import TestOutcome
from pytest_agent._types import TestRun
from pytest_agent._types import Verdict
from pytest_agent.progress import describe_verdict

# Wrong first, right second: two attempts, one failing verify, one commit.
PROPOSER = textwrap.dedent(f"""\
    GREET_DIFF = {GREET_DIFF!r}
    WRONG_GREET_DIFF = {WRONG_GREET_DIFF!r}

    def pytest_agent_localize(task, workspace, baseline, settings):
        return (), ""  # a scripted proposer needs none; saves a coverage run

    def pytest_agent_propose_diff(task, context):
        return WRONG_GREET_DIFF if context.attempt == 1 else GREET_DIFF
    """)


@pytest.fixture
def two_attempts(project: GitProject) -> GitProject:
    project.write("conftest.py", PROPOSER)
    project.commit_all("proposer")
    return project


class TestVerbose:
    def test_one_line_per_attempt(self, two_attempts: GitProject) -> None:
        result = two_attempts.pytester.runpytest("--agent-all", "-v")
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines([
            "plans/sprint-12.yaml::T-101 *",
            "    T-101 attempt 1/4: proposing… applied… verify: 1 failing",
            "    T-101 attempt 2/4: proposing… applied… verify: passed, committed * on agent/T-101",
            "plans/sprint-12.yaml::T-101 PASSED*",
        ])
        # pytest ends our open line itself: no blank line before the result.
        lines = result.stdout.lines
        done = next(i for i, ln in enumerate(lines) if "PASSED" in ln and "T-101" in ln)
        assert lines[done - 1].startswith("    T-101 attempt 2/4:")

    def test_shown_in_a_real_process_with_fd_capture(self, two_attempts: GitProject) -> None:
        # The steps run inside runtest, where --capture=fd (the default) swallows even the
        # terminal reporter's writes unless capturing is suspended around them; an
        # in-process run does not show that, a real process does.
        result = two_attempts.pytester.runpytest_subprocess("--agent-all", "-v", "--capture=fd",
                                                            timeout=240)
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines([
            "    T-101 attempt 1/4: proposing… applied… verify: 1 failing",
            "    T-101 attempt 2/4: proposing… applied… verify: passed, committed * on agent/T-101",
        ])
        assert "Captured stdout" not in result.stdout.str()

    def test_refused_diff_and_budget_from_settings(self, project: GitProject) -> None:
        project.write("conftest.py", textwrap.dedent("""\
            def pytest_agent_localize(task, workspace, baseline, settings):
                return (), ""

            def pytest_agent_propose_diff(task, context):
                return "--- a/nope.py\\n+++ b/nope.py\\n@@ -1 +1 @@\\n-x\\n+y\\n"
            """))
        project.commit_all("proposer")
        result = project.pytester.runpytest(
            "--agent-all", "-v", "-o", "agent_max_reflexion_retries=1"
        )
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines([
            "    T-101 attempt 1/2: proposing… refused (*)",
            "    T-101 attempt 2/2: proposing… refused (*)",
        ])

    def test_very_verbose_names_the_failing_tests(self, two_attempts: GitProject) -> None:
        result = two_attempts.pytester.runpytest("--agent-all", "-vv")
        result.stdout.fnmatch_lines([
            "    T-101 attempt 1/4: proposing… applied… verify: 1 failing",
            "        tests/test_hello.py::test_greet: failed",
            "    T-101 attempt 2/4: *",
        ])

    def test_a_line_written_in_between_does_not_run_into_ours(
        self, project: GitProject
    ) -> None:
        # A plugin writing through the terminal reporter mid-attempt gets its own line;
        # ours goes on after it, saying again which task and attempt it is.
        project.write("conftest.py", PROPOSER.replace(
            "def pytest_agent_propose_diff(task, context):\n",
            "import pytest\n\n"
            "@pytest.hookimpl(trylast=True)\n"
            "def pytest_configure(config):\n"
            "    global TR\n"
            "    TR = config.pluginmanager.get_plugin('terminalreporter')\n\n"
            "def pytest_agent_propose_diff(task, context):\n"
            "    TR.write_line('NOTE FROM A PLUGIN')\n",
        ))
        project.commit_all("proposer")
        result = project.pytester.runpytest("--agent-all", "-v")
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines([
            "    T-101 attempt 1/4: proposing…",
            "NOTE FROM A PLUGIN",
            "    T-101 attempt 1/4: … applied… verify: 1 failing",
        ])


class TestQuiet:
    @pytest.mark.parametrize("flags", [(), ("-q",)], ids=["default", "quiet"])
    def test_no_progress_lines(self, two_attempts: GitProject, flags: tuple[str, ...]) -> None:
        result = two_attempts.pytester.runpytest("--agent-all", *flags)
        result.assert_outcomes(passed=1)
        assert "attempt 1/4" not in result.stdout.str()
        assert "proposing" not in result.stdout.str()
        if not flags:
            # The usual item progress: the plan file and a dot for the task.
            result.stdout.fnmatch_lines(["plans/sprint-12.yaml . *"])


class TestDescribeVerdict:
    @staticmethod
    def run(**outcomes: TestOutcome) -> TestRun:
        return TestRun(outcomes=outcomes, failures={}, output="", exit_code=1, duration=0.1)

    def test_words(self) -> None:
        failing = self.run(a=TestOutcome.FAILED, b=TestOutcome.ERROR, c=TestOutcome.PASSED)
        assert describe_verdict(Verdict(passed=True, tests=self.run())) == "passed"
        assert describe_verdict(Verdict(passed=False, tests=failing)) == "2 failing"
        lint = (LintFinding("a.py", 1, 1, "F401", "unused"),)
        ok = self.run(a=TestOutcome.PASSED)
        assert describe_verdict(Verdict(passed=False, tests=ok, lint=lint)) == "1 lint finding"
        timed_out = TestRun(outcomes={}, failures={}, output="", exit_code=1, duration=3,
                            timed_out=True)
        assert describe_verdict(Verdict(passed=False, tests=timed_out)) == "timed out"
        assert describe_verdict(Verdict(passed=False, tests=None, summary="odd")) == "odd"
