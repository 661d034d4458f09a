"""pytest-agent: a pytest plugin and test-driven repair harness.

Tasks are written in ``plans/*.yaml``; ``pytest --agent-run ID`` or ``pytest
--agent-all`` collects each as an item and runs the repair loop on it. Every
step is a ``pytest_agent_*`` hook (see :mod:`pytest_agent.hookspec`); the types
below are what those hooks receive and return. The table "step -> hook -> default
implementation -> module" is :mod:`pytest_agent.steps`; the floors the modules are
built in, docs/architecture.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from pytest_agent._types import Applied
    from pytest_agent._types import AttemptRecord
    from pytest_agent._types import CommitInfo
    from pytest_agent._types import Context
    from pytest_agent._types import Critique
    from pytest_agent._types import LintFinding
    from pytest_agent._types import Localization
    from pytest_agent._types import Location
    from pytest_agent._types import Proposal
    from pytest_agent._types import Rule
    from pytest_agent._types import Task
    from pytest_agent._types import TaskOutcome
    from pytest_agent._types import TaskResult
    from pytest_agent._types import TestOutcome
    from pytest_agent._types import TestRun
    from pytest_agent._types import Usage
    from pytest_agent._types import Verdict
    from pytest_agent._types import Workspace

__all__ = [
    "Applied",
    "AttemptRecord",
    "CommitInfo",
    "Context",
    "Critique",
    "LintFinding",
    "Localization",
    "Location",
    "Proposal",
    "Rule",
    "Task",
    "TaskOutcome",
    "TaskResult",
    "TestOutcome",
    "TestRun",
    "Usage",
    "Verdict",
    "Workspace",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Lazy: the pytest11 entry point imports this package at every pytest start,
    # and an ordinary run needs none of these types (PEP 562).
    if name in __all__:
        from pytest_agent import _types

        value = getattr(_types, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pytest_agent' has no attribute {name!r}")
