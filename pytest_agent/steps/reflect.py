"""The default ``reflect`` step: a rule-based critique of a failed attempt.

An engine may reflect better (the LLM engine asks its model, see
``engines/llm/_plugin.py``); it is registered before this plugin, so its answer
wins, and this one is the fallback for every engine and for plugins' proposals.
"""

from __future__ import annotations

import pytest

from pytest_agent._describe import failure_tails
from pytest_agent._types import AttemptRecord
from pytest_agent._types import Critique
from pytest_agent._types import Verdict

__all__ = ["describe_failure", "pytest_agent_reflect"]


@pytest.hookimpl(trylast=True)
def pytest_agent_reflect(attempt: AttemptRecord, verdict: Verdict | None) -> Critique:
    return Critique(text=describe_failure(attempt, verdict))


def describe_failure(attempt: AttemptRecord, verdict: Verdict | None) -> str:
    """A rule-based critique: what failed and what the next attempt should change."""
    if attempt.proposal is None:
        return "No proposal was made."
    if attempt.applied is not None and not attempt.applied.ok:
        return (
            f"The diff did not apply ({attempt.applied.rule}): "
            f"{attempt.applied.reason.strip()[:800]}\n"
            "Next: re-read the file and write the diff against its current text."
        )
    if verdict is None:
        return "The change could not be verified."
    parts = [f"The change applied but verification failed: {verdict.summary}."]
    if verdict.tests is not None and not verdict.tests.passed:
        parts.extend(f"- {tail}" for tail in failure_tails(verdict.tests, lines=6))
        parts.append("Next: this edit is wrong or incomplete; try a different location or edit.")
    elif verdict.lint:
        parts.extend(f"- {f}" for f in verdict.lint[:10])
        parts.append("Next: keep the behaviour, fix the lint findings above.")
    return "\n".join(parts)
