"""What the pytest-face modules share: stash keys, ini setting names, node ids, xdist.

A leaf (it imports pytest only, and the session's and result's types for type
checking), so that :mod:`~pytest_agent.plugin`, :mod:`~pytest_agent.session`,
:mod:`~pytest_agent.item`, :mod:`~pytest_agent.progress` and the report plugin can
all use it without importing each other. Cheap to import: the ``pytest11`` entry
point imports it at every pytest start.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from typing import TypedDict
from typing import cast

import pytest

if TYPE_CHECKING:
    from pytest_agent._types import TaskResult
    from pytest_agent.session import AgentSession

__all__ = [
    "INI_SETTINGS", "TASK_PROPERTY_KEYS", "TaskProperties", "agent_session_key",
    "is_xdist_worker", "read_task_properties", "task_id_of", "task_result_key",
]

#: The settings that can be given as ``agent_<name>`` in pytest ini. Kept as a
#: literal so that pytest start-up need not import pydantic; a test checks it
#: against ``AgentSettings``.
INI_SETTINGS: tuple[str, ...] = (
    "max_reflexion_retries", "consecutive_failure_threshold", "max_tool_calls_per_task",
    "test_timeout", "per_test_timeout_max", "per_test_timeout_min", "per_test_timeout_factor",
    "test_server", "lint_command", "lint_timeout", "git_timeout", "plan_path", "memory_dir",
    "replace_branch", "engine", "model", "base_url", "temperature", "request_timeout",
    "request_retries", "tool_mode", "max_tokens_per_task", "max_cost_per_task",
    "daily_cost_cap", "memory_limit_chars", "offline_max_candidates", "offline_time_budget",
    "offline_workers", "candidate_timeout", "localize_formula", "context_token_budget",
    "localize_mutation_seconds", "localize_mutation_weight", "localize_extra_tests_seconds",
    "localize_arc_weight",
)

#: The run's :class:`~pytest_agent.session.AgentSession` (set in ``plugin.pytest_configure``).
agent_session_key: pytest.StashKey[AgentSession] = pytest.StashKey()

#: Where a task item leaves its result for the report plugin (set in ``TaskItem.runtest``).
task_result_key: pytest.StashKey[TaskResult] = pytest.StashKey()


def is_xdist_worker(config: pytest.Config) -> bool:
    """Whether this process is a pytest-xdist worker (it has no terminal, and no plan writes)."""
    return hasattr(config, "workerinput")


def task_id_of(nodeid: str) -> str | None:
    """The task id in a task item's node id (``plan.yaml::T-1``, or ``...::T-1@group``)."""
    if "::" not in nodeid:
        return None
    # xdist's loadgroup appends ``@<group>``; '@' cannot occur in a task id.
    return nodeid.rsplit("::", 1)[1].split("@", 1)[0]


class TaskProperties(TypedDict, total=False):
    """The ``user_properties`` of a task item's report: the one schema of what they hold.

    Written by :class:`~pytest_agent.item.TaskItem`; read by the plan write-back and the
    terminal summary (:mod:`pytest_agent.session`) and by the reports
    (:mod:`pytest_agent.report`); shown by ``--junitxml`` as ``<property>`` elements.
    A key is absent when its value is unknown (never the text ``None`` in junit XML).
    """

    #: The task's id.
    task_id: str
    #: The plan status the task ends in: ``done``, ``failed`` or ``pending`` (skipped).
    status: str
    #: Attempts made (0 when the loop never started).
    attempts: int
    #: The branch holding the repair (empty when none).
    branch: str
    #: The repair's commit sha (empty when none).
    commit: str
    #: Tokens used by the engine over all attempts.
    tokens: int
    #: Cost in USD; absent when no price is known.
    cost: float
    #: A done task whose change may only fit the tests: the proposer's review line
    #: (``Proposal.review``, "plausible only: review (...)"); absent otherwise.
    review: str
    #: The engine that made the last proposal.
    engine: str
    #: Why the task failed or was skipped (redacted).
    last_error: str


#: The keys of :class:`TaskProperties`, in the order the item writes them.
TASK_PROPERTY_KEYS: tuple[str, ...] = tuple(TaskProperties.__annotations__)


def read_task_properties(user_properties: Iterable[tuple[str, object]]) -> TaskProperties:
    """The task properties among a report's ``user_properties`` (other keys are ignored)."""
    props: dict[str, object] = {k: v for k, v in user_properties if k in TASK_PROPERTY_KEYS}
    # Values are as the item wrote them (xdist carries them unchanged); readers convert.
    return cast("TaskProperties", props)
