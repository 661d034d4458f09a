"""The steps of the repair loop and where each one's default implementation lives.

Every step is a ``pytest_agent_*`` hook (:mod:`pytest_agent.hookspec`); the loop
(:mod:`pytest_agent.executor`) calls the hooks and imports no implementation. The
defaults below are registered ``trylast`` by :func:`register_default_steps`, so a
conftest.py or plugin implementing a step runs first and wins by returning a value.

========  =========================  ==============================  =============================
step      hook                       default implementation          module
========  =========================  ==============================  =============================
localize  pytest_agent_localize      coverage, tracebacks, names     steps/localize.py, localize/
propose   pytest_agent_propose_diff  the selected engine             steps/propose.py (selection),
                                                                     engines/*/_plugin.py
apply     pytest_agent_apply         patch engine, all or nothing    steps/apply.py, patch/
verify    pytest_agent_verify        accept tests, then lint         steps/verify.py, verify.py
reflect   pytest_agent_reflect       LLM critique, else rule-based   engines/llm/_plugin.py,
                                                                     steps/reflect.py
commit    pytest_agent_commit        a commit on agent/<task id>     steps/commit.py, workspace.py
========  =========================  ==============================  =============================

:data:`STEPS` holds the same table as data (a test checks it against the modules).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import final

if TYPE_CHECKING:
    import pluggy

    from pytest_agent.steps.propose import EnginePlugin
    from pytest_agent.workspace import WorkspaceManager

__all__ = ["STEPS", "Step", "register_default_steps", "unregister_default_steps"]


@final
@dataclass(frozen=True)
class Step:
    """One row of the step table."""

    name: str
    hook: str
    default: str
    #: The module holding the default hook implementation (``None``: the selected engine's).
    module: str | None


STEPS: tuple[Step, ...] = (
    Step("localize", "pytest_agent_localize", "coverage + tracebacks + names, ranked",
         "pytest_agent.steps.localize"),
    Step("propose", "pytest_agent_propose_diff", "the selected engine's plugin", None),
    Step("apply", "pytest_agent_apply", "the patch engine, all or nothing",
         "pytest_agent.steps.apply"),
    Step("verify", "pytest_agent_verify", "accept tests, then lint", "pytest_agent.steps.verify"),
    Step("reflect", "pytest_agent_reflect", "rule-based critique (the LLM engine's first)",
         "pytest_agent.steps.reflect"),
    Step("commit", "pytest_agent_commit", "a commit on the task's branch",
         "pytest_agent.steps.commit"),
)

#: The names the default step plugins are registered under (engine: ``agent-engine-<name>``).
_PREFIX = "agent-step-"
_ENGINE_PREFIX = "agent-engine-"


def register_default_steps(
    pluginmanager: pluggy.PluginManager, *, workspaces: WorkspaceManager, engine: EnginePlugin
) -> None:
    """Register the default implementation of every step, and the selected engine."""
    from pytest_agent.steps import apply
    from pytest_agent.steps import localize
    from pytest_agent.steps import reflect
    from pytest_agent.steps import verify
    from pytest_agent.steps.commit import CommitStep

    pluginmanager.register(localize, f"{_PREFIX}localize")
    # Among trylast implementations the one registered first is called first: the
    # engine's reflect (the LLM's critique) must come before the rule-based one.
    pluginmanager.register(engine, f"{_ENGINE_PREFIX}{engine.NAME}")
    pluginmanager.register(apply, f"{_PREFIX}apply")
    pluginmanager.register(verify, f"{_PREFIX}verify")
    pluginmanager.register(reflect, f"{_PREFIX}reflect")
    pluginmanager.register(CommitStep(workspaces), f"{_PREFIX}commit")


def unregister_default_steps(pluginmanager: pluggy.PluginManager) -> None:
    """Undo :func:`register_default_steps` (at unconfigure: pytester runs many sessions)."""
    for name, plugin in list(pluginmanager.list_name_plugin()):
        if plugin is not None and name.startswith((_PREFIX, _ENGINE_PREFIX)):
            pluginmanager.unregister(plugin, name)
