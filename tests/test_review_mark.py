"""A change marked "plausible only: review" says so in its commit message and plan (#12 item 3).

The offline engine marks a winner of a kind known to overfit the tests (a deleted
return, a constant condition...) in the first line of its notes; the reviewer reads
``git log``, so the default commit step repeats that line there.
"""

from __future__ import annotations

import pytest
from conftest import GREET_DIFF
from conftest import GitProject
from conftest import git

from pytest_agent._types import REVIEW_MARK
from pytest_agent._types import Proposal
from pytest_agent.plan import load_plans


def _propose_with_notes(notes: str) -> str:
    return f'''
from pytest_agent import Proposal

DIFF = {GREET_DIFF!r}


def pytest_agent_propose_diff(task):
    return Proposal(diff=DIFF, notes={notes!r}, engine="conftest")
'''


@pytest.mark.parametrize(
    ("notes", "in_message"),
    [
        (f"{REVIEW_MARK} (returns a constant that a test expects).\nwhy", True),
        ("A plain repair.\nplausible only: review, but not on the first line", False),
    ],
)
def test_the_review_line_reaches_the_commit_message(
    project: GitProject, notes: str, in_message: bool
) -> None:
    project.write("conftest.py", _propose_with_notes(notes))
    project.commit_all("a proposer that marks its change")

    result = project.pytester.runpytest("--agent-run", "T-101")

    result.assert_outcomes(passed=1)
    message = git(project.root, "log", "-1", "--format=%B", "agent/T-101")
    assert message.startswith("[Agent] Complete T-101:")
    review = f"{REVIEW_MARK} (returns a constant that a test expects)."
    assert (review in message.splitlines()) is in_message
    assert "Agent-Task: T-101" in message
    spec = load_plans([project.root / "plans/sprint-12.yaml"])[0].spec
    assert spec.status.value == "done"
    assert spec.review == (review if in_message else None)
    assert ("review:" in project.plan_text("plans/sprint-12.yaml")) is in_message


def test_review_is_the_marked_first_line_only() -> None:
    assert Proposal(diff="", notes=f"  {REVIEW_MARK} (x).\nmore").review == f"{REVIEW_MARK} (x)."
    assert Proposal(diff="", notes=f"first\n{REVIEW_MARK} (x).").review == ""
    assert Proposal(diff="").review == ""
