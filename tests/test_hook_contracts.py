"""The loop handles every value the hookspecs allow: ``None`` from every implementation of
apply, verify or commit (the defaults blocked), and the deprecated localize tuple."""

from __future__ import annotations

import textwrap

import pytest
from conftest import GREET_DIFF
from conftest import GitProject

from pytest_agent._types import Localization
from pytest_agent._types import Location
from pytest_agent.executor import as_localization


@pytest.mark.parametrize(("blocked", "expected"), [
    ("agent-step-apply", "*refused (not-applied)*"),
    ("agent-step-verify", "*no implementation of pytest_agent_verify gave a verdict*"),
    ("agent-step-commit", "*passed verification, but no implementation of pytest_agent_commit*"),
])
def test_none_from_every_implementation_fails_the_task_cleanly(
    project: GitProject, blocked: str, expected: str
) -> None:
    project.write("conftest.py", textwrap.dedent(f"""\
        GREET_DIFF = {GREET_DIFF!r}

        def pytest_configure(config):
            # Before pytest-agent registers its defaults (its pytest_configure is trylast).
            config.pluginmanager.set_blocked({blocked!r})

        def pytest_agent_propose_diff(task):
            return GREET_DIFF
        """))
    project.commit_all("block a default step")
    result = project.pytester.runpytest("--agent-all", "-v", "-o", "agent_max_reflexion_retries=0")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([expected])
    result.stdout.no_fnmatch_line("*AssertionError*")
    assert project.branches() == ["main"]


def test_localize_tuple_is_converted() -> None:
    where = Location(path="src/a.py", function="f", start_line=1, end_line=3, score=1.0)
    line = Location(path="src/a.py", function="f", start_line=2, end_line=2, score=0.5)
    assert as_localization(None) == Localization(functions=(), pack="")
    assert as_localization(([where], "PACK")) == Localization(functions=(where,), pack="PACK")
    assert as_localization(([where], "PACK", [line])).lines == (line,)
    found = Localization(functions=(where,), pack="P")
    assert as_localization(found) is found
    with pytest.raises(TypeError, match="expected a Localization"):
        as_localization("src/a.py")
