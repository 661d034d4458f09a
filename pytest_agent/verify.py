"""The default verify step: the accept tests, then lint on the changed Python files.

Lint counts only findings the change introduced: a finding already present in
the file at the base commit does not fail the task (it was not the task's to
fix), so a task on an imperfect file can still succeed.
"""

from __future__ import annotations

from collections.abc import Sequence

from pytest_agent import regression
from pytest_agent._lintdiff import LintJob
from pytest_agent._lintdiff import lint_files
from pytest_agent._procs import run_process
from pytest_agent._types import Applied
from pytest_agent._types import Task
from pytest_agent._types import TestRun
from pytest_agent._types import Verdict
from pytest_agent._types import Workspace
from pytest_agent.settings import AgentSettings
from pytest_agent.testrun import run_tests

# lint_files is re-exported (it moved to pytest_agent._lintdiff with the lint comparison).
__all__ = ["lint_files", "verify"]


def verify(
    task: Task,
    workspace: Workspace,
    applied: Applied,
    settings: AgentSettings,
) -> Verdict:
    py_files = [
        f for f in applied.changed_files if f.endswith(".py") and (workspace.root / f).is_file()
    ]
    # Lint runs while the tests run (two cores; its result is read only if they pass).
    lint = LintJob(workspace.root, py_files, lambda: _base_texts(workspace, py_files, settings),
                   settings) if py_files and settings.lint_command else None
    tests = run_tests(workspace.test_root, regression.verify_targets(task),
                      timeout=settings.test_timeout)
    accept = regression.accept_view(tests, task.accept_tests)
    if not accept.passed:
        return Verdict(passed=False, tests=tests, summary=_test_summary(accept))
    broken = regression.broken(tests, task.regression or ())
    if broken:
        # The accept tests pass, but a test that passed at the base fails now: never commit.
        return Verdict(passed=False, tests=tests, summary=_regression_summary(broken, tests))
    if lint is None:
        return Verdict(passed=True, tests=tests, summary="accept tests pass")
    findings, raw = lint.result()  # only the findings the change introduced
    if findings is None:
        return Verdict(
            passed=False, tests=tests, summary="the lint command failed to run", lint_output=raw
        )
    if findings:
        return Verdict(
            passed=False, tests=tests, lint=tuple(findings), lint_output=raw,
            summary=f"accept tests pass, but lint found {len(findings)} new finding(s)",
        )
    return Verdict(
        passed=True, tests=tests, lint_output=raw, summary="accept tests pass; lint clean"
    )


def _test_summary(tests: TestRun) -> str:
    if tests.timed_out:
        return f"the accept tests timed out after {tests.duration:.0f}s"
    failing = tests.failing
    shown = ", ".join(failing[:5])
    return f"{len(failing)} of {len(tests.outcomes)} accept test(s) failed: {shown}"


def _regression_summary(broken: Sequence[str], tests: TestRun) -> str:
    shown = ", ".join(broken[:5]) + (f" and {len(broken) - 5} more" if len(broken) > 5 else "")
    first = broken[0]
    reason = tests.failures.get(first, "").strip().splitlines()
    why = f" ({first}: {reason[-1][:200]})" if reason else ""
    return (f"accept tests pass, but {len(broken)} test(s) that passed at the base fail now "
            f"(regression): {shown}{why}")


def _base_texts(
    workspace: Workspace, files: Sequence[str], settings: AgentSettings
) -> dict[str, str | None]:
    """The files at the base commit (``None`` for files new in the change)."""
    texts: dict[str, str | None] = {}
    for rel in files:
        shown = run_process(["git", "show", f"{workspace.base_commit}:{rel}"],
                            cwd=workspace.root, timeout=settings.git_timeout)
        texts[rel] = shown.output if shown.returncode == 0 else None
    return texts
