"""Write-back keeps the user's plan byte for byte outside the harness-owned values."""

from __future__ import annotations

import difflib
import threading
from pathlib import Path

import pytest

from pytest_agent.plan import PlanError
from pytest_agent.plan import load_plans
from pytest_agent.writeback import edit_plan_text
from pytest_agent.writeback import update_task_fields

COMMENTED_PLAN = """\
# Sprint 12 -- owned by the payments team.
# Keep tasks small; one accept test each where possible.

tasks:
  # The greeting feature (PM: Ada)
  - id: T-101
    description: "greet(name) returns 'Hello, <name>!'"   # quoted on purpose
    files: [src/hello.py]
    accept_tests:
      - tests/test_hello.py::test_greet
    # harness-owned:
    status: pending        # pending | in_progress | done | failed
    attempts: 0

  - id: 'T-102'
    description: >
      A folded description
      over two lines.
    accept_tests:
    - tests/test_x.py::test_y   # a list at the key's own indentation
    meta: {owner: bob, points: 3}

  - {id: T-103, description: flow style, accept_tests: [a.py::b]}   # trailing comment
"""


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    removed, added = [], []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0):
        if line.startswith("-") and not line.startswith("---"):
            removed.append(line[1:])
        elif line.startswith("+") and not line.startswith("+++"):
            added.append(line[1:])
    return removed, added


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    path = tmp_path / "plans" / "sprint.yaml"
    path.parent.mkdir()
    path.write_text(COMMENTED_PLAN)
    return path


def test_existing_fields_change_in_place_keeping_comments(plan: Path) -> None:
    update_task_fields(plan, "T-101", {"status": "done", "attempts": 2})
    removed, added = changed_lines(COMMENTED_PLAN, plan.read_text())
    assert removed == [
        "    status: pending        # pending | in_progress | done | failed",
        "    attempts: 0",
    ]
    assert added == [
        "    status: done        # pending | in_progress | done | failed",
        "    attempts: 2",
    ]


def test_new_fields_are_inserted_after_the_harness_block(plan: Path) -> None:
    update_task_fields(plan, "T-101", {
        "status": "done", "branch": "agent/T-101", "commit": "0123abc", "last_error": None,
        "updated_at": "2026-11-25T03:00:00Z", "cost": 0.0123,
    })
    text = plan.read_text()
    removed, added = changed_lines(COMMENTED_PLAN, text)
    assert removed == ["    status: pending        # pending | in_progress | done | failed"]
    assert added == [
        "    status: done        # pending | in_progress | done | failed",
        "    branch: agent/T-101",
        '    commit: "0123abc"',
        '    updated_at: "2026-11-25T03:00:00Z"',
        "    cost: 0.0123",
    ]
    # The blank line and the next task follow unchanged.
    assert "    cost: 0.0123\n\n  - id: 'T-102'" in text


def test_block_list_at_key_indent_and_folded_scalar(plan: Path) -> None:
    update_task_fields(plan, "T-102", {"status": "failed", "attempts": 4,
                                       "last_error": "2 tests failed: 'x' \"y\"\nmore"})
    text = plan.read_text()
    removed, added = changed_lines(COMMENTED_PLAN, text)
    assert removed == []
    assert added == [
        "    status: failed",
        "    attempts: 4",
        '    last_error: "2 tests failed: \'x\' \\"y\\"\\nmore"',
    ]
    task = {t.id: t for t in load_plans([plan])}["T-102"].spec
    assert task.last_error == "2 tests failed: 'x' \"y\"\nmore"
    assert task.meta == {"owner": "bob", "points": 3}


def test_flow_style_task_is_edited_on_its_line(plan: Path) -> None:
    update_task_fields(plan, "T-103", {"status": "in_progress"})
    update_task_fields(plan, "T-103", {"status": "done", "attempts": 1})
    removed, added = changed_lines(COMMENTED_PLAN, plan.read_text())
    assert removed == ["  - {id: T-103, description: flow style, accept_tests: [a.py::b]}"
                       "   # trailing comment"]
    assert added == ["  - {id: T-103, description: flow style, accept_tests: [a.py::b], "
                     "status: done, attempts: 1}   # trailing comment"]


def test_values_that_look_like_other_types_are_quoted() -> None:
    text = "tasks:\n  - id: T-1\n    description: d\n    accept_tests: [a::b]\n"
    out = edit_plan_text(Path("p.yaml"), text, "T-1",
                         {"commit": "1234567", "engine": "null", "branch": "yes"})
    assert 'commit: "1234567"' in out
    assert 'engine: "null"' in out
    assert 'branch: "yes"' in out


def test_crlf_plan_keeps_crlf(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    original = "tasks:\r\n  - id: T-1\r\n    description: d\r\n    accept_tests: [a::b]\r\n"
    path.write_bytes(original.encode())
    update_task_fields(path, "T-1", {"status": "done"})
    data = path.read_bytes()
    assert data == original.encode() + b"    status: done\r\n"


def test_task_removed_meanwhile_is_an_error(plan: Path) -> None:
    with pytest.raises(PlanError, match=r"T-999.*no longer in the plan"):
        update_task_fields(plan, "T-999", {"status": "done"})
    assert plan.read_text() == COMMENTED_PLAN


def test_concurrent_writers_lose_nothing(plan: Path) -> None:
    ids = ["T-101", "T-102", "T-103"]
    errors: list[BaseException] = []

    def writer(task_id: str) -> None:
        try:
            for n in range(1, 8):
                update_task_fields(plan, task_id, {"attempts": n, "status": "in_progress"})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    tasks = {t.id: t.spec for t in load_plans([plan])}
    assert all(tasks[i].attempts == 7 for i in ids)
    # Nothing else moved: every user line of the original is still there, in order.
    text = plan.read_text()
    user_lines = [ln for ln in COMMENTED_PLAN.splitlines() if "status:" not in ln
                  and "attempts:" not in ln and "T-103" not in ln]
    remaining = iter(text.splitlines())
    assert all(any(line == other for other in remaining) for line in user_lines)


def test_temp_file_of_a_writer_killed_mid_write_is_swept(plan: Path) -> None:
    stale = plan.parent / f".{plan.name}.k1ll3d.tmp"
    stale.write_text("half a plan")
    other = plan.parent / ".notes.txt.k1ll3d.tmp"  # not the plan's: left alone
    other.write_text("x")
    update_task_fields(plan, "T-101", {"status": "done"})
    assert not stale.exists()
    assert other.exists()
    assert sorted(p.name for p in plan.parent.iterdir()) == [other.name, plan.name]


def test_large_plan_edits_the_task_block_alone_with_the_same_result(tmp_path: Path) -> None:
    from pytest_agent import writeback

    blocks = []
    for n in range(500):
        if n % 50 == 7:
            blocks.append(f"  - {{id: T-{n}, description: flow, accept_tests: [a.py::t]}}  # c\n")
            continue
        meta = f"    meta: {{id: T-{n + 1}}}\n" if n % 50 == 9 else ""
        blocks.append(
            f"  # task {n}\n  - description: 'task {n}'\n{meta}    id: \"T-{n}\"\n"
            f"    accept_tests:\n    - tests/test_{n}.py::t   # own indent\n"
            "    status: pending   # keep me\n\n"
        )
    text = "# big\ntasks:\n" + "".join(blocks) + "regression: none\n"
    assert len(text) > writeback._WHOLE_PARSE_BELOW
    fields = {"status": "done", "attempts": 2, "branch": "agent/x", "last_error": "a: b"}
    for n in (0, 7, 9, 10, 200, 499):
        assert writeback._task_block(text, f"T-{n}") is not None
        fast = edit_plan_text(tmp_path / "p.yaml", text, f"T-{n}", fields)
        whole = writeback._edit_whole(tmp_path / "p.yaml", text, f"T-{n}", fields)
        assert fast == whole, n
