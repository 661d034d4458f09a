"""Localization through the harness: the default hook feeds ``Context`` and task memory."""

from __future__ import annotations

import textwrap

from conftest import GREET_DIFF
from conftest import GitProject

FAULT_PLAN = """\
tasks:
  - id: T-7
    description: "shout() must upper-case its argument"
    accept_tests:
      - tests/test_text.py::test_shout
    status: pending
    attempts: 0
"""

# Built from lines: the diff's context lines are a single space, which ruff's W293
# would flag inside a string literal.
FIX_SHOUT = "\n".join([
    "--- a/src/text.py",
    "+++ b/src/text.py",
    "@@ -3,4 +3,4 @@",
    " ",
    " ",
    " def shout(s):",
    '-    return s.lower() + "!"',
    '+    return s.upper() + "!"',
    "",
])


def test_missing_name_reaches_the_proposer_and_memory(project: GitProject) -> None:
    project.write("conftest.py", textwrap.dedent(f"""\
        GREET_DIFF = {GREET_DIFF!r}

        def pytest_agent_propose_diff(task, context):
            top = context.locations[0]
            assert (top.path, top.function) == ("src/hello.py", "<module>"), context.locations
            assert "cannot import name 'greet'" in " ".join(top.evidence)
            assert "## Failing tests" in context.pack
            assert " 1 | def other():" in context.pack  # what the module has so far
            return GREET_DIFF
        """))
    project.commit_all("proposer")
    result = project.pytester.runpytest("--agent-run", "T-101")
    result.assert_outcomes(passed=1)
    memory = next((project.root / "memory/archive").glob("T-101-*.md")).read_text()
    assert "# Task T-101" in memory  # the pack, as the proposer saw it


def test_faulty_function_first(project: GitProject) -> None:
    project.write("src/text.py", """\
        def other():
            return 1


        def shout(s):
            return s.lower() + "!"
        """)
    project.write("tests/test_text.py", """\
        from src.text import other, shout


        def test_other():
            assert other() == 1


        def test_shout():
            assert shout("hi") == "HI!"
        """)
    project.write("plans/sprint-12.yaml", FAULT_PLAN)
    project.write("conftest.py", textwrap.dedent(f"""\
        FIX_SHOUT = {FIX_SHOUT!r}

        def pytest_agent_propose_diff(task, context):
            top = context.locations[0]
            assert (top.path, top.function, top.line) == ("src/text.py", "shout", 6)
            assert ">6 |     return s.lower()" in context.pack
            return FIX_SHOUT
        """))
    project.commit_all("fault")
    result = project.pytester.runpytest("--agent-run", "T-7")
    result.assert_outcomes(passed=1)
