"""The default verify step: the accept tests, then lint on the changed Python files.

Lint counts only findings the change introduced: a finding already present in
the file at the base commit does not fail the task (it was not the task's to
fix), so a task on an imperfect file can still succeed.
"""

from __future__ import annotations

import collections
import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from pytest_agent import _tempdirs
from pytest_agent import regression
from pytest_agent._procs import run_process
from pytest_agent._types import Applied
from pytest_agent._types import LintFinding
from pytest_agent._types import Task
from pytest_agent._types import TestRun
from pytest_agent._types import Verdict
from pytest_agent._types import Workspace
from pytest_agent.settings import AgentSettings
from pytest_agent.testrun import run_tests

__all__ = ["lint_files", "verify"]


def verify(
    task: Task,
    workspace: Workspace,
    applied: Applied,
    settings: AgentSettings,
) -> Verdict:
    tests = run_tests(workspace.test_root, regression.verify_targets(task),
                      timeout=settings.test_timeout)
    accept = regression.accept_view(tests, task.accept_tests)
    if not accept.passed:
        return Verdict(passed=False, tests=tests, summary=_test_summary(accept))
    broken = regression.broken(tests, task.regression or ())
    if broken:
        # The accept tests pass, but a test that passed at the base fails now: never commit.
        return Verdict(passed=False, tests=tests, summary=_regression_summary(broken, tests))
    py_files = [
        f for f in applied.changed_files if f.endswith(".py") and (workspace.root / f).is_file()
    ]
    if not py_files or not settings.lint_command:
        return Verdict(passed=True, tests=tests, summary="accept tests pass")
    findings, raw = lint_files(workspace.root, py_files, settings)
    if findings is None:
        return Verdict(
            passed=False, tests=tests, summary="the lint command failed to run", lint_output=raw
        )
    if findings:
        baseline = _base_findings(workspace, py_files, settings)
        findings = _new_findings(findings, baseline)
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


def _lint_argv(settings: AgentSettings) -> list[str]:
    argv = list(settings.lint_command)
    if argv and argv[0] == "ruff" and shutil.which("ruff") is None:
        # Installed as a package in this interpreter, but its scripts dir is not on PATH.
        argv = [sys.executable, "-m", "ruff", *argv[1:]]
    return argv


def _is_ruff(settings: AgentSettings) -> bool:
    return bool(settings.lint_command) and Path(settings.lint_command[0]).name.startswith("ruff")


def lint_files(
    root: Path, files: Sequence[str], settings: AgentSettings
) -> tuple[list[LintFinding] | None, str]:
    """Lint ``files``; ``(findings, raw output)``, findings ``None`` if the linter failed."""
    argv = _lint_argv(settings)
    ruff = _is_ruff(settings)
    if ruff:
        argv += ["--output-format", "json", "--no-fix", "--force-exclude"]
    try:
        proc = run_process([*argv, "--", *files] if ruff else [*argv, *files],
                           cwd=root, timeout=settings.lint_timeout)
    except OSError as exc:
        return None, f"cannot run {argv[0]}: {exc}"
    if proc.timed_out:
        return None, f"{argv[0]} timed out after {settings.lint_timeout:.0f}s"
    if not ruff:
        if proc.returncode == 0:
            return [], proc.output
        return [LintFinding(path=", ".join(files), line=0, column=0, code="lint",
                            message=proc.output.strip()[-2000:])], proc.output
    try:
        start = proc.output.index("[")
        data = json.loads(proc.output[start:])
    except ValueError:
        if proc.returncode == 0:
            return [], proc.output
        return None, proc.output
    findings = []
    for item in data:
        path = Path(item.get("filename", ""))
        rel = path.relative_to(root.resolve()).as_posix() if path.is_absolute() else path.as_posix()
        loc = item.get("location") or {}
        findings.append(LintFinding(
            path=rel, line=int(loc.get("row", 0)), column=int(loc.get("column", 0)),
            code=str(item.get("code") or "syntax"), message=str(item.get("message", "")),
        ))
    return findings, proc.output


def _base_findings(
    workspace: Workspace, files: Sequence[str], settings: AgentSettings
) -> list[LintFinding]:
    """Findings in the same files at the base commit (files new in the change have none)."""
    import tempfile

    from pytest_agent._procs import run_process as _run

    with tempfile.TemporaryDirectory(prefix=_tempdirs.prefix("lint")) as tmp:
        tmp_root = Path(tmp)
        present = []
        for rel in files:
            shown = _run(["git", "show", f"{workspace.base_commit}:{rel}"],
                         cwd=workspace.root, timeout=settings.git_timeout)
            if shown.returncode != 0:
                continue
            target = tmp_root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(shown.output, encoding="utf-8")
            present.append(rel)
        for cfg in ("pyproject.toml", "ruff.toml", ".ruff.toml"):
            if (workspace.root / cfg).is_file():
                shutil.copy(workspace.root / cfg, tmp_root / cfg)
        if not present:
            return []
        found, _ = lint_files(tmp_root, present, settings)
    return found or []


def _new_findings(after: list[LintFinding], before: list[LintFinding]) -> list[LintFinding]:
    """Findings of ``after`` not in ``before``, matched by file, code and message (lines move)."""
    budget = collections.Counter((f.path, f.code, f.message) for f in before)
    new = []
    for f in after:
        key = (f.path, f.code, f.message)
        if budget[key] > 0:
            budget[key] -= 1
        else:
            new.append(f)
    return new
