"""The package's structure: the step table is true, and (later) the import floors hold."""

from __future__ import annotations

import importlib

import pytest

from pytest_agent import hookspec
from pytest_agent.steps import STEPS
from pytest_agent.steps.propose import engine_plugin


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_step_table_names_real_hooks_and_modules(step) -> None:
    assert hasattr(hookspec, step.hook), f"{step.hook} is not a hookspec"
    modules = [step.module] if step.module else [
        "pytest_agent.engines.offline._plugin", "pytest_agent.engines.llm._plugin",
    ]
    for name in modules:
        module = importlib.import_module(name)
        holders = [module, *(v for v in vars(module).values() if isinstance(v, type))]
        assert any(callable(getattr(h, step.hook, None)) for h in holders), \
            f"{name} has no {step.hook}"


def test_every_step_hook_is_in_the_table() -> None:
    step_hooks = {n for n in dir(hookspec) if n.startswith("pytest_agent_")
                  and getattr(getattr(hookspec, n), "pytest_spec", {}).get("firstresult")}
    assert step_hooks == {s.hook for s in STEPS}


@pytest.mark.parametrize("name", ["offline", "llm"])
def test_engine_plugin_is_selected_by_name(name) -> None:
    plugin = engine_plugin(name)
    assert name == plugin.NAME
    assert callable(plugin.pytest_agent_propose_diff)  # type: ignore[attr-defined]
