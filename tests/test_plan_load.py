"""Plan loading refuses what git, the file system or YAML would change (#15 items 4, 5, 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_agent.plan import PlanError
from pytest_agent.plan import load_plans
from pytest_agent.writeback import update_task_fields


def plan_with(tmp_path: Path, task: str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text("tasks:\n  - " + task.replace("\n", "\n    ") + "\n")
    return path


def one_error(path: Path) -> str:
    with pytest.raises(PlanError) as info:
        load_plans([path])
    return str(info.value)


def alias_bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        refs = ", ".join(f"*a{i - 1}" for _ in range(9))
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines)


def test_alias_bomb_is_refused_before_expansion(tmp_path: Path) -> None:
    meta = alias_bomb(9).replace("\n", "\n  ")
    path = plan_with(tmp_path, f"id: T-1\ndescription: d\naccept_tests: [t.py::a]\nmeta:\n  {meta}")
    assert len(path.read_text()) < 1000
    message = one_error(path)
    assert f"{path}:" in message
    assert "aliases (*a0) are not allowed in a plan" in message
    # Expanded, this is 9**9 strings: a hang that pytest-timeout fails; refused, it is
    # the message above.


def test_merge_key_alias_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("x: &base {description: d, accept_tests: [t.py::a]}\n"
                    "tasks:\n  - <<: *base\n    id: T-1\n")
    assert "aliases (*base) are not allowed" in one_error(path)


@pytest.mark.parametrize("key", ["  meta: {a: 1}", "  - id: T-1"])
def test_a_mapping_or_list_as_a_key_is_one_clear_error(tmp_path: Path, key: str) -> None:
    # Found by test_faults.py's fuzzing: ruamel raised TypeError (unhashable CommentedMap).
    path = tmp_path / "plan.yaml"
    path.write_text(f"? \n{key}")
    message = one_error(path)
    assert message.startswith(f"{path}: not valid for a plan: a mapping or list used as a key")


@pytest.mark.parametrize(("written", "expected"), [
    ("a..b", "must not contain '..'"),
    ("a.lock", "must not end with '.lock'"),
    ("T-1.", "must not end with '.lock' or '.'"),
    ('"T-1\\n"', "must match"),
    ('"T 1"', "must match"),
    ('"T-1~"', "must match"),
    ("x" * 240, "240 characters long; at most 128"),
    ("x" * 300, "300 characters long; at most 128"),
    ("007", "YAML reads this id as the number 7, not as written; quote it"),
    ("1.10", "YAML reads this id as the number 1.1, not as written; quote it"),
])
def test_ids_git_or_yaml_would_change_are_refused_at_load(
    tmp_path: Path, written: str, expected: str
) -> None:
    path = plan_with(tmp_path, f"id: {written}\ndescription: d\naccept_tests: [t.py::a]")
    message = one_error(path)
    assert message.startswith(f"{path}:2: tasks[0]")
    assert expected in message
    assert len(message.splitlines()) == 1


def test_quoted_number_id_is_kept_as_written(tmp_path: Path) -> None:
    path = plan_with(tmp_path, 'id: "007"\ndescription: d\naccept_tests: [t.py::a]')
    assert load_plans([path])[0].id == "007"


@pytest.mark.parametrize("field", ["accept_tests", "files", "regression"])
@pytest.mark.parametrize("item", ["../elsewhere/test_x.py::t", "tests/../../x.py", "/abs/t.py"])
def test_paths_must_stay_inside_the_repository(tmp_path: Path, field: str, item: str) -> None:
    extra = "" if field == "accept_tests" else "\naccept_tests: [t.py::a]"
    path = plan_with(tmp_path, f"id: T-1\ndescription: d\n{field}: ['{item}']{extra}")
    message = one_error(path)
    assert f"tasks[0] (T-1).{field}:" in message
    assert repr(item) in message


def test_symlinked_plan_is_written_through_the_link(tmp_path: Path) -> None:
    real = tmp_path / "shared" / "plan.yaml"
    real.parent.mkdir()
    real.write_text("tasks:\n  - id: T-1\n    description: d\n    accept_tests: [t.py::a]\n"
                    "    status: pending\n")
    link = tmp_path / "plans" / "plan.yaml"
    link.parent.mkdir()
    link.symlink_to(Path("..") / "shared" / "plan.yaml")
    update_task_fields(link, "T-1", {"status": "done"})
    assert link.is_symlink()
    assert "status: done" in real.read_text()
    assert load_plans([link])[0].spec.status.value == "done"
