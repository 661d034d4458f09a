"""pytest-agent: a pytest plugin and test-driven repair harness.

Tasks are written in ``plans/*.yaml``; ``pytest --agent-run ID`` or ``pytest
--agent-all`` collects each as an item and runs the repair loop on it. Every
step is a ``pytest_agent_*`` hook (see :mod:`pytest_agent.hookspec`); the types
below are what those hooks receive and return.
"""

from __future__ import annotations

from pytest_agent._types import Applied
from pytest_agent._types import AttemptRecord
from pytest_agent._types import CommitInfo
from pytest_agent._types import Context
from pytest_agent._types import Critique
from pytest_agent._types import LintFinding
from pytest_agent._types import Location
from pytest_agent._types import Proposal
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
    "Location",
    "Proposal",
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

for _name in __all__:
    globals()[_name].__module__ = "pytest_agent"
del _name
