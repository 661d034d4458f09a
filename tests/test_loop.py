"""End to end: plan tasks run as items through the hook-driven loop, in real git repos."""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import GREET_DIFF
from conftest import WRONG_GREET_DIFF
from conftest import GitProject
from conftest import git

from pytest_agent.plan import load_plans


def proposer_conftest(body: str) -> str:
    return textwrap.dedent(
        f"""\
        GREET_DIFF = {GREET_DIFF!r}
        WRONG_GREET_DIFF = {WRONG_GREET_DIFF!r}

        """
    ) + textwrap.dedent(body)


class TestHappyPath:
    def test_task_done_branch_and_commit(self, project: GitProject) -> None:
        project.write("conftest.py", proposer_conftest("""\
            def pytest_agent_propose_diff(task, context):
                assert task.id == "T-101"
                assert "tests/test_hello.py::test_greet" in context.baseline.failing
                return GREET_DIFF
            """))
        project.commit_all("proposer")
        before = project.snapshot()
        result = project.pytester.runpytest("--agent-all", "--junitxml=report.xml")
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(["*pytest-agent tasks*", "T-101*done*1*agent/T-101*"])
        assert project.branches() == ["agent/T-101", "main"]
        log = git(project.root, "log", "--format=%s", "agent/T-101")
        assert log.splitlines()[0] == "[Agent] Complete T-101: greet(name) returns 'Hello, <name>!'"
        shown = git(project.root, "show", "agent/T-101:src/hello.py")
        assert 'return f"Hello, {name}!"' in shown
        # The user's checkout is unchanged apart from the plan and memory.
        after = project.snapshot(exclude=("plans/", "memory/", "report.xml"))
        assert after == before
        assert project.worktrees() == [str(project.root)]
        task = load_plans([project.root / "plans/sprint-12.yaml"])[0].spec
        assert task.status.value == "done"
        assert task.attempts == 1
        assert task.branch == "agent/T-101"
        commit = git(project.root, "rev-parse", "agent/T-101").strip()
        assert task.commit == commit
        props = {
            p.get("name"): p.get("value")
            for p in ET.parse(project.root / "report.xml").iter("property")
        }
        assert props["task_id"] == "T-101"
        assert props["branch"] == "agent/T-101"
        assert props["commit"] == commit
        assert props["attempts"] == "1"

    def test_run_by_id_and_memory_log(self, project: GitProject) -> None:
        project.write("conftest.py", proposer_conftest("""\
            from pytest_agent import Proposal

            def pytest_agent_propose_diff(task):
                return Proposal(diff=GREET_DIFF, notes="add greet", engine="test")
            """))
        project.commit_all("proposer")
        result = project.pytester.runpytest("--agent-run", "T-101")
        result.assert_outcomes(passed=1)
        archived = list((project.root / "memory/archive").glob("T-101-*.md"))
        assert len(archived) == 1
        text = archived[0].read_text()
        assert "Attempt 1 · Thought" in text
        assert "add greet" in text
        assert "Attempt 1 · Observation" in text
        assert "Committed" in text
        task = load_plans([project.root / "plans/sprint-12.yaml"])[0].spec
        assert task.engine == "test"


class TestRetries:
    def test_second_attempt_after_reflexion(self, project: GitProject) -> None:
        project.write("conftest.py", proposer_conftest("""\
            def pytest_agent_propose_diff(task, context):
                if context.attempt == 1:
                    return WRONG_GREET_DIFF
                # The first attempt's reflexion reached the memory given to this one.
                assert "Reflexion" in context.memory
                assert "Hello, Ada!" in context.memory
                assert context.previous_diffs == (WRONG_GREET_DIFF,)
                return GREET_DIFF
            """))
        project.commit_all("proposer")
        result = project.pytester.runpytest("--agent-all")
        result.assert_outcomes(passed=1)
        task = load_plans([project.root / "plans/sprint-12.yaml"])[0].spec
        assert (task.status.value, task.attempts) == ("done", 2)
        # Every attempt starts from a clean workspace: one commit, from the base.
        assert git(project.root, "rev-list", "--count", "main..agent/T-101").strip() == "1"

    def test_failure_after_all_retries_leaves_nothing(self, project: GitProject) -> None:
        project.write("conftest.py", proposer_conftest("""\
            def pytest_agent_propose_diff(task, context):
                return WRONG_GREET_DIFF
            """))
        project.commit_all("proposer")
        before = project.snapshot()
        result = project.pytester.runpytest("--agent-all")
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines([
            "*task T-101 failed after 4 attempt(s)*",
            "*--- last proposal (attempt 4) ---*",
            "*Hi, {name}*",
            "*--- failing accept tests ---*",
            "tests/test_hello.py::test_greet: failed",
            "*--- test output (tail) ---*",
            "*--- reflexion ---*",
        ])
        assert project.branches() == ["main"]
        assert project.worktrees() == [str(project.root)]
        assert project.snapshot() == before
        task = load_plans([project.root / "plans/sprint-12.yaml"])[0].spec
        assert task.status.value == "failed"
        assert task.attempts == 4
        assert task.branch is None
        assert task.last_error and "no passing change after 4 attempt(s)" in task.last_error

    def test_retry_budget_from_ini_and_plan_override(self, project: GitProject) -> None:
        project.write("pytest.ini", "[pytest]\npythonpath = .\nagent_max_reflexion_retries = 1\n")
        project.write("conftest.py", proposer_conftest("""\
            def pytest_agent_propose_diff(task, context):
                return WRONG_GREET_DIFF
            """))
        project.commit_all("proposer")
        project.pytester.runpytest("--agent-all").assert_outcomes(failed=1)
        task = load_plans([project.root / "plans/sprint-12.yaml"])[0].spec
        assert task.attempts == 2

    def test_refused_diff_is_an_attempt_with_its_reason(self, project: GitProject) -> None:
        project.write("conftest.py", proposer_conftest("""\
            def pytest_agent_propose_diff(task, context):
                if context.attempt == 1:
                    return "--- a/nope.py\\n+++ b/nope.py\\n@@ -1 +1 @@\\n-x\\n+y\\n"
                assert "refused" in context.memory
                return GREET_DIFF
            """))
        project.commit_all("proposer")
        project.pytester.runpytest("--agent-all").assert_outcomes(passed=1)


class TestUserCheckout:
    def test_dirty_checkout_is_untouched(self, project: GitProject) -> None:
        project.write("conftest.py", proposer_conftest("""\
            def pytest_agent_propose_diff(task, context):
                return GREET_DIFF
            """))
        project.commit_all("proposer")
        # Uncommitted edit of the very file the task changes, and an untracked file.
        project.write("src/hello.py", "def other():\n    return 2  # my work in progress\n")
        project.write("notes.txt", "untracked notes\n")
        before = project.snapshot()
        status_before = git(project.root, "status", "--porcelain", "--", "src", "notes.txt")
        project.pytester.runpytest("--agent-all").assert_outcomes(passed=1)
        assert project.snapshot() == before
        assert git(project.root, "status", "--porcelain", "--", "src", "notes.txt") == status_before
        # The task worked from HEAD, not from the uncommitted edit.
        shown = git(project.root, "show", "agent/T-101:src/hello.py")
        assert "return 1" in shown

    def test_existing_branch_is_not_overwritten(self, project: GitProject) -> None:
        project.write("conftest.py", proposer_conftest("""\
            def pytest_agent_propose_diff(task, context):
                return GREET_DIFF
            """))
        project.commit_all("proposer")
        git(project.root, "branch", "agent/T-101")
        old = git(project.root, "rev-parse", "agent/T-101")
        result = project.pytester.runpytest("--agent-all")
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*branch agent/T-101 already exists*"])
        assert git(project.root, "rev-parse", "agent/T-101") == old
        result = project.pytester.runpytest("--agent-all", "--agent-replace-branch")
        result.assert_outcomes(passed=1)
        assert git(project.root, "rev-parse", "agent/T-101") != old


class TestHooks:
    def test_conftest_replaces_apply_and_verify(self, project: GitProject) -> None:
        project.write("conftest.py", proposer_conftest("""\
            import pytest
            from pytest_agent import Applied, Verdict

            def pytest_agent_propose_diff(task):
                return "replace-me"

            @pytest.hookimpl(tryfirst=True)
            def pytest_agent_apply(task, proposal, workspace):
                assert proposal.diff == "replace-me"
                path = workspace.root / "src" / "hello.py"
                path.write_text(path.read_text() + "\\n\\ndef greet(name):\\n"
                                "    return f'Hello, {name}!'\\n")
                print("CUSTOM-APPLY-RAN")
                return Applied(ok=True, changed_files=("src/hello.py",))
            """))
        project.commit_all("hooks")
        result = project.pytester.runpytest("--agent-all", "-s")
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(["*CUSTOM-APPLY-RAN*"])

    def test_wrapper_adds_a_check_to_the_default_verdict(self, project: GitProject) -> None:
        # The docs/hooks.md example: a new-style wrapper around the default verify.
        project.write("conftest.py", proposer_conftest("""\
            from dataclasses import replace

            import pytest

            def pytest_agent_propose_diff(task, context):
                return GREET_DIFF

            @pytest.hookimpl(wrapper=True)
            def pytest_agent_verify(task, workspace, applied, settings):
                verdict = yield
                assert verdict.passed and applied.changed_files == ("src/hello.py",)
                return replace(verdict, passed=False, summary="extra check: refused")
            """))
        project.commit_all("hooks")
        result = project.pytester.runpytest("--agent-all", "-o", "agent_max_reflexion_retries=0")
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*extra check: refused*"])

    def test_observer_hooks_see_every_attempt(self, project: GitProject) -> None:
        project.write("conftest.py", proposer_conftest("""\
            def pytest_agent_propose_diff(task, context):
                return WRONG_GREET_DIFF if context.attempt == 1 else GREET_DIFF

            def pytest_agent_task_start(task, workspace):
                print(f"START {task.id} {workspace.branch}")

            def pytest_agent_attempt_end(task, attempt):
                print(f"ATTEMPT {task.id} {attempt.number} "
                      f"{attempt.verdict.passed if attempt.verdict else None}")

            def pytest_agent_task_end(task, result):
                print(f"END {task.id} {result.outcome.value} {len(result.attempts)}")
            """))
        project.commit_all("hooks")
        result = project.pytester.runpytest("--agent-all", "-s")
        result.stdout.fnmatch_lines([
            "*START T-101 agent/T-101*", "*ATTEMPT T-101 1 False*", "*ATTEMPT T-101 2 True*",
            "*END T-101 done 2*",
        ])

    def test_lint_finding_fails_the_attempt(self, project: GitProject) -> None:
        lint_diff = GREET_DIFF.replace(
            "@@ -1,2 +1,6 @@\n def other():", "@@ -1,2 +1,7 @@\n+import os\n def other():"
        )
        project.write("conftest.py", proposer_conftest(f"""\
            LINT_DIFF = {lint_diff!r}

            def pytest_agent_propose_diff(task, context):
                return LINT_DIFF if context.attempt == 1 else GREET_DIFF
            """))
        project.commit_all("proposer")
        result = project.pytester.runpytest("--agent-all", "-s")
        result.assert_outcomes(passed=1)
        archived = next((project.root / "memory/archive").glob("T-101-*.md")).read_text()
        assert "F401" in archived
        task = load_plans([project.root / "plans/sprint-12.yaml"])[0].spec
        assert task.attempts == 2


class TestRunControl:
    PLAN = textwrap.dedent("""\
        tasks:
          - id: A
            description: first
            accept_tests: [tests/test_hello.py::test_greet]
          - id: B
            description: second
            depends_on: [A]
            accept_tests: [tests/test_hello.py::test_greet]
          - id: C
            description: third
            accept_tests: [tests/test_hello.py::test_greet]
        """)

    def test_dependency_failure_skips_dependent(self, project: GitProject) -> None:
        project.write("plans/sprint-12.yaml", self.PLAN)
        project.write("conftest.py", proposer_conftest("""\
            def pytest_agent_propose_diff(task, context):
                return WRONG_GREET_DIFF if task.id == "A" else GREET_DIFF
            """))
        project.commit_all("plan")
        result = project.pytester.runpytest("--agent-all", "-rs")
        result.assert_outcomes(failed=1, skipped=1, passed=1)
        result.stdout.fnmatch_lines(["*task B: dependency A failed in this run*"])
        tasks = {t.id: t.spec for t in load_plans([project.root / "plans/sprint-12.yaml"])}
        assert tasks["B"].status.value == "pending"
        assert tasks["B"].last_error == "skipped: dependency A failed in this run"

    def test_dependent_task_starts_from_dependency_branch(self, project: GitProject) -> None:
        project.write("tests/test_more.py", """\
            from src.hello import shout


            def test_shout():
                assert shout("a") == "A!"
            """)
        project.write("plans/sprint-12.yaml", self.PLAN.replace(
            "depends_on: [A]\n    accept_tests: [tests/test_hello.py::test_greet]",
            "depends_on: [A]\n    accept_tests: [tests/test_more.py::test_shout]",
        ))
        project.write("conftest.py", proposer_conftest("""\
            SHOUT = (
                "--- a/src/hello.py\\n+++ b/src/hello.py\\n@@ -4,2 +4,6 @@\\n"
                " def greet(name):\\n     return f\\"Hello, {name}!\\"\\n"
                "+\\n+\\n+def shout(text):\\n+    return text.upper() + \\"!\\"\\n"
            )

            def pytest_agent_propose_diff(task, context):
                return SHOUT if task.id == "B" else GREET_DIFF
            """))
        project.commit_all("plan")
        result = project.pytester.runpytest("--agent-run", "A", "--agent-run", "B")
        result.assert_outcomes(passed=2)
        # B's branch holds A's commit and its own.
        log = git(project.root, "log", "--format=%s", "main..agent/B").splitlines()
        assert log == ["[Agent] Complete B: second", "[Agent] Complete A: first"]

    def test_consecutive_failure_threshold_stops_the_run(self, project: GitProject) -> None:
        project.write("plans/sprint-12.yaml", self.PLAN.replace("    depends_on: [A]\n", ""))
        project.write(".agent.yml", "consecutive_failure_threshold: 2\nmax_reflexion_retries: 0\n")
        project.write("conftest.py", proposer_conftest("""\
            def pytest_agent_propose_diff(task, context):
                return WRONG_GREET_DIFF
            """))
        project.commit_all("plan")
        result = project.pytester.runpytest("--agent-all")
        result.assert_outcomes(failed=2)
        result.stdout.fnmatch_lines(["*2 tasks failed in a row*"])
        tasks = {t.id: t.spec for t in load_plans([project.root / "plans/sprint-12.yaml"])}
        assert tasks["C"].status.value == "pending"

    def test_done_tasks_are_deselected_by_agent_all(self, project: GitProject) -> None:
        project.write("conftest.py", proposer_conftest("""\
            def pytest_agent_propose_diff(task, context):
                return GREET_DIFF
            """))
        project.commit_all("proposer")
        project.pytester.runpytest("--agent-all").assert_outcomes(passed=1)
        result = project.pytester.runpytest("--agent-all")
        result.assert_outcomes()
        result.stdout.fnmatch_lines(["*1 deselected*"])

    def test_accept_tests_already_passing(self, project: GitProject) -> None:
        project.write("src/hello.py", "def other():\n    return 1\n\n\ndef greet(name):\n"
                      "    return f'Hello, {name}!'\n")
        project.commit_all("already done")
        project.pytester.runpytest("--agent-all").assert_outcomes(passed=1)
        task = load_plans([project.root / "plans/sprint-12.yaml"])[0].spec
        assert task.status.value == "done"
        assert task.commit is None
        assert project.branches() == ["main"]

    def test_passing_only_under_the_coverage_tracer_is_not_already_passing(
            self, project: GitProject) -> None:
        # The baseline runs under localization's coverage tracer; a test that passes only
        # while a tracer is set must not make the task "done" (python-dotenv's debugger
        # check made four failing accept tests pass there).
        project.write("src/hello.py", "def other():\n    return 1\n\n\ndef greet(name):\n"
                      "    return f'Hello, {name}!'\n")
        project.write("tests/test_hello.py", """\
            import sys

            from src.hello import greet


            def test_greet():
                assert greet("Ada") == "Hello, Ada!"
                assert sys.gettrace() is not None
            """)
        project.commit_all("passes only when traced")
        result = project.pytester.runpytest("--agent-all")
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*pass under localization's coverage tracer but not in a"
                                     " plain pytest run*"])
        task = load_plans([project.root / "plans/sprint-12.yaml"])[0].spec
        assert task.status.value != "done"
        assert project.branches() == ["main"]

    def test_hanging_accept_test_is_killed(self, project: GitProject) -> None:
        pids = project.root.parent / f"{project.root.name}-hung.pids"
        project.write("tests/test_hello.py", f"""\
            import os
            import time

            from src.hello import greet


            def test_greet():
                if greet("Ada") == "Hello, Ada!":
                    with open({str(pids)!r}, "a") as f:
                        print(os.getpid(), file=f)
                    time.sleep(600)
            """)
        project.write(".agent.yml", "test_timeout: 3\nmax_reflexion_retries: 0\n")
        project.write("conftest.py", proposer_conftest("""\
            def pytest_agent_propose_diff(task, context):
                return GREET_DIFF
            """))
        project.commit_all("hang")
        result = project.pytester.runpytest("--agent-all")
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*accept tests timed out*"])
        # The hanging test ran, and every process that ran it is gone when the run ends:
        # killed, not left sleeping (its sleep of 600 s would outlive this test).
        hung = [int(pid) for pid in pids.read_text().split()]
        assert hung
        assert [pid for pid in hung if _running(pid)] == []


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, killed and not yet reaped, is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def test_no_proposal_says_how_to_configure(project: GitProject) -> None:
    # No conftest proposer and no key: the offline engine runs and finds nothing
    # (greet() does not exist yet; no local edit can add it). Issue #12: the failure
    # names its cause (the test cannot be collected), never "configure a proposer".
    project.write(".agent.yml", "offline_time_budget: 5\noffline_max_candidates: 20\n")
    project.commit_all("settings")
    result = project.pytester.runpytest("--agent-all", "--agent-engine=offline")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*could not*greet*"])
    assert "AGENT_API_KEY" not in result.stdout.str()
