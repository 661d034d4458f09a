"""Preflight: causes no change to the code can fix, found in the baseline run (#15 item 9).

A task whose accept test does not exist, whose test run dies (``os._exit``, a
signal, the memory limit), whose accept test file does not even parse (and may
not be edited), or whose worktree lacks a git submodule, stops before any search
with one line naming the cause -- not after a search that could never succeed,
ending in a misleading "no proposal".

A collection error is *not* a stop in general: ``from app import greet`` failing
because ``greet`` does not exist yet is the task.
"""

from __future__ import annotations

import re
from pathlib import Path

from pytest_agent._types import Task
from pytest_agent._types import TestOutcome
from pytest_agent._types import TestRun
from pytest_agent._types import Workspace

__all__ = ["check"]

#: Exit codes of a pytest run that ended normally (ExitCode 0-5).
_PYTEST_EXIT_CODES = frozenset(range(6))
_NOT_FOUND = re.compile(r"^ERROR: (?:file or directory )?not found: (?P<what>.+)$", re.MULTILINE)
#: The closing line of a pytest run ("1 passed in 0.12s", "no tests ran in 0.01s").
_SUMMARY = re.compile(r"\b(?:passed|failed|errors?|skipped|deselected|xfailed|xpassed|"
                      r"warnings?|no tests ran)\b.* in [0-9.]+s\b")
_SYNTAX = ("SyntaxError", "IndentationError", "TabError")


def check(task: Task, workspace: Workspace, baseline: TestRun, accept: TestRun) -> str | None:
    """The one-line reason ``task`` cannot be repaired, or ``None`` to go on."""
    if accept.passed:
        return None
    for probe in (_missing_submodule, _abnormal_end, _not_found, _unparsable_test_file):
        reason = probe(task, workspace, baseline, accept)
        if reason:
            return reason
    return None


def _ended_normally(run: TestRun) -> bool:
    """pytest finished the run: a known exit code and its closing summary line."""
    return run.exit_code in _PYTEST_EXIT_CODES and _SUMMARY.search(run.output) is not None


def _missing(accept: TestRun) -> list[str]:
    return [n for n, o in accept.outcomes.items() if o is TestOutcome.MISSING]


def _not_found(task: Task, workspace: Workspace, baseline: TestRun, accept: TestRun) -> str | None:
    missing = _missing(accept)
    if not missing or baseline.timed_out or not _ended_normally(baseline):
        return None
    what = missing[0]
    path = workspace.test_root / what.split("::", 1)[0]
    where = "its file does not exist" if not path.exists() else "no such test in its file"
    found = _NOT_FOUND.search(baseline.output)
    said = f"; pytest: {found.group(0).removeprefix('ERROR: ')}" if found else ""
    return f"accept test {what} does not exist ({where}){said} -- fix the id in the plan"


def _abnormal_end(
    task: Task, workspace: Workspace, baseline: TestRun, accept: TestRun
) -> str | None:
    missing = _missing(accept)
    if not missing or baseline.timed_out or _ended_normally(baseline):
        return None
    code = baseline.exit_code
    if code < 0 or code > 128:
        signal_number = -code if code < 0 else code - 128
        cause = (f"was killed by signal {signal_number}"
                 + (" (out of memory?)" if signal_number == 9 else ""))
    else:
        cause = f"exited with status {code} before reporting (a test calls os._exit or exit?)"
    tail = baseline.output.strip().splitlines()[-1:] or [""]
    return (f"the test run of {missing[0]} {cause}; its last output: {tail[0][:200]!r}"
            if tail[0] else f"the test run of {missing[0]} {cause}")


def _unparsable_test_file(
    task: Task, workspace: Workspace, baseline: TestRun, accept: TestRun
) -> str | None:
    if task.allow_test_edits:
        return None  # the change may fix the test file itself
    for nodeid, outcome in accept.outcomes.items():
        text = accept.failures.get(nodeid, "")
        if outcome is not TestOutcome.ERROR or not any(f"{s}:" in text for s in _SYNTAX):
            continue
        error = next((ln.strip().removeprefix("E").strip() for ln in reversed(text.splitlines())
                      if any(f"{s}:" in ln for s in _SYNTAX)), "")
        file = nodeid.split("::", 1)[0]
        if f"{Path(file).name}" in text:
            return (f"accept test file {file} cannot be collected: {error} (the task may not "
                    "edit its test files; fix the test or set allow_test_edits)")
    return None


def _missing_submodule(
    task: Task, workspace: Workspace, baseline: TestRun, accept: TestRun
) -> str | None:
    modules = workspace.root / ".gitmodules"
    if not modules.is_file():
        return None
    try:
        text = modules.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for path in re.findall(r"^\s*path\s*=\s*(.+?)\s*$", text, re.MULTILINE):
        target = workspace.root / path
        if target.is_dir() and not any(target.iterdir()):
            return (f"the git submodule {path} is empty in the task's worktree (pytest-agent does "
                    "not check submodules out); the accept tests cannot run as in your checkout")
    return None
