"""``--agent-from-failures``: the plan is made once, on the controller, by a pytest run.

The failing tests are found by a whole inner pytest run (:mod:`pytest_agent.failures`)
at configure time; xdist workers never rerun them, they read the controller's plan
file, whose path travels in ``workerinput``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_agent._compat import xdist_workerinput
from pytest_agent._face import is_xdist_worker
from pytest_agent.settings import AgentSettings

__all__ = ["failures_plan", "hand_down"]


def failures_plan(config: pytest.Config, settings: AgentSettings) -> Path:
    """The plan of ``--agent-from-failures``: made on the controller, reused by workers."""
    from pytest_agent import failures

    if is_xdist_worker(config):
        return Path(xdist_workerinput(config)[failures.WORKERINPUT_KEY])
    try:
        return failures.plan_from_failures(config, test_timeout=settings.test_timeout)
    except failures.FromFailuresError as exc:
        raise pytest.UsageError(f"pytest-agent: {exc}") from None


def hand_down(node: Any, plan_file: Path) -> None:
    """Controller side: workers load the controller's plan; they never rerun the tests."""
    from pytest_agent.failures import WORKERINPUT_KEY

    node.workerinput[WORKERINPUT_KEY] = str(plan_file)
