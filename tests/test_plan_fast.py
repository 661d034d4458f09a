"""Large plans load through libyaml (``_fastyaml``) with the same result and the same errors.

Issue #15 item 10: a 10 MB plan took about 40 s through ruamel's pure-Python loader.
A large valid plan now takes the C path; a large plan with anything to report takes the
round-trip loader, so its message (file, line, field) is the one a small plan gets.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_agent._fastyaml import FAST_MIN_CHARS
from pytest_agent._fastyaml import compose_large_plan
from pytest_agent.plan import PlanError
from pytest_agent.plan import load_plan_file


def _task(n: int) -> str:
    return (
        f"  - id: T-{n}\n"
        f'    description: "task {n}: make f{n} return what the test expects"\n'
        f"    files: [src/m{n}.py]   # a comment kept by write-back\n"
        f"    accept_tests:\n      - tests/test_m{n}.py::test_f\n"
        "    # harness-owned:\n    status: pending\n    attempts: 0\n\n"
    )


def _large_plan(tasks: int = 800) -> str:
    text = "# a large plan\ntasks:\n" + "".join(_task(n) for n in range(tasks))
    assert len(text) > FAST_MIN_CHARS
    return text


def test_a_large_valid_plan_takes_the_fast_path_with_the_same_lines(tmp_path: Path) -> None:
    text = _large_plan()
    plan = tmp_path / "plan.yaml"
    plan.write_text(text)
    assert compose_large_plan(text) is not None  # libyaml is installed (a dependency)

    loaded = load_plan_file(plan)

    id_lines = [i + 1 for i, line in enumerate(text.splitlines()) if line.startswith("  - id:")]
    assert [t.line for t in loaded] == id_lines
    assert [t.spec.id for t in loaded] == [f"T-{n}" for n in range(800)]
    assert loaded[5].spec.accept_tests == ["tests/test_m5.py::test_f"]


def test_an_invalid_task_in_a_large_plan_is_named_with_its_line(tmp_path: Path) -> None:
    text = _large_plan().replace("  - id: T-700\n", "  - id: a..b\n")
    plan = tmp_path / "plan.yaml"
    plan.write_text(text)
    line = text.splitlines().index("  - id: a..b") + 1

    with pytest.raises(PlanError) as excinfo:
        load_plan_file(plan)

    assert re.search(rf"plan\.yaml:{line}: tasks\[700\].*\.id: ", str(excinfo.value))


def test_an_alias_bomb_in_a_large_plan_is_refused_before_expansion(tmp_path: Path) -> None:
    bomb = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    bomb += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    text = "\n".join(bomb) + "\n" + _large_plan()
    plan = tmp_path / "plan.yaml"
    plan.write_text(text)

    assert compose_large_plan(text) is None
    with pytest.raises(PlanError, match=r"aliases .* are not allowed"):
        load_plan_file(plan)


def test_deep_nesting_in_a_large_plan_is_an_error_not_a_crash(tmp_path: Path) -> None:
    text = _large_plan() + "extra: " + "[" * 5000 + "]" * 5000 + "\n"
    plan = tmp_path / "plan.yaml"
    plan.write_text(text)

    assert compose_large_plan(text) is None
    with pytest.raises(PlanError):
        load_plan_file(plan)
