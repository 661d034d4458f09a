"""Test runs and verdicts as text: one home for every rendering of them.

Three depths, for three readers: :func:`describe_verdict` in a few words (the
progress line), :func:`describe_run` as one line per test, and
:func:`describe_verdict_detail` with the failing tests' output tails and the lint
findings (task memory; the rule-based critique and the failure report take its
pieces, :func:`failure_tails`).
"""

from __future__ import annotations

from pytest_agent._types import TestRun
from pytest_agent._types import Verdict

__all__ = ["describe_run", "describe_verdict", "describe_verdict_detail", "failure_tails"]


def describe_verdict(verdict: Verdict) -> str:
    """``passed``, ``1 failing``, ``timed out``, ``2 lint findings``: a verdict in a few words."""
    if verdict.passed:
        return "passed"
    tests = verdict.tests
    if tests is not None and tests.timed_out:
        return "timed out"
    parts = []
    if tests is not None and tests.failing:
        parts.append(f"{len(tests.failing)} failing")
    if verdict.lint:
        n = len(verdict.lint)
        parts.append(f"{n} lint finding{'s' if n != 1 else ''}")
    return ", ".join(parts) or verdict.summary or "failed"


def describe_run(run: TestRun, *, failing_only: bool = False, bullet: str = "- ") -> str:
    """One line per test (``- tests/test_x.py::test_y: failed``), and a timeout if one hit."""
    names = run.failing if failing_only else tuple(run.outcomes)
    lines = [f"{bullet}{nodeid}: {run.outcomes[nodeid].value}" for nodeid in names]
    if run.timed_out:
        lines.append(f"(timed out after {run.duration:.0f}s)")
    return "\n".join(lines) or "(no test ran)"


def failure_tails(run: TestRun, *, count: int = 3, lines: int = 15) -> list[str]:
    """``<node id>:`` and the last ``lines`` lines of its failure, for the first ``count``."""
    out = []
    for nodeid in run.failing[:count]:
        tail = "\n".join(run.failures.get(nodeid, "").strip().splitlines()[-lines:])
        out.append(f"{nodeid}:\n{tail}")
    return out


def describe_verdict_detail(verdict: Verdict) -> str:
    """The summary, every test's outcome, the failing tests' tails and the lint findings."""
    parts = [verdict.summary]
    if verdict.tests is not None:
        parts.append(describe_run(verdict.tests))
        parts.extend(failure_tails(verdict.tests))
    parts.extend(str(f) for f in verdict.lint)
    return "\n".join(parts)
