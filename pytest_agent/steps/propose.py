"""The ``propose`` step: the engine selection. Each engine is a pluggy plugin.

The engine named by ``settings.resolved_engine`` (``--agent-engine``, ``AGENT_ENGINE``,
``auto`` = ``llm`` when a key or base URL is set, else ``offline``) is the only one
registered; its ``pytest_agent_propose_diff`` is ``trylast``, so a conftest.py or
plugin that proposes still comes first. Besides its hooks an engine plugin answers
the two questions the session asks at configure time (:class:`EnginePlugin`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal
from typing import Protocol

from pytest_agent.settings import AgentSettings

__all__ = ["EnginePlugin", "engine_plugin"]


class EnginePlugin(Protocol):
    """What an engine plugin module provides besides its ``pytest_agent_*`` hooks."""

    @property
    def NAME(self) -> str:
        """The engine's name (``settings.engine``, ``Proposal.engine``)."""

    def check_config(self, settings: AgentSettings) -> str | None:
        """Why the engine cannot run with ``settings``, or ``None``: checked before any task."""

    def summarizer(
        self, settings: AgentSettings, repo_root: Path
    ) -> Callable[[str], str | None] | None:
        """How to summarize task memory when it is compacted, or ``None`` to cut it."""


def engine_plugin(name: Literal["offline", "llm"]) -> EnginePlugin:
    """The plugin module of the engine ``name`` (imported here, not registered)."""
    if name == "llm":
        from pytest_agent.engines.llm import _plugin as llm_plugin

        return llm_plugin
    from pytest_agent.engines.offline import _plugin as offline_plugin

    return offline_plugin
