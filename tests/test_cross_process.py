"""Promises between processes, shown with live processes (not threads, not in sequence).

- The plan's write-back: two processes update tasks of one plan at the same time;
  nothing is lost and every comment of the plan survives, trailing ones included.
- The daily cost ledger: two processes reserve against one cap at the same time; the
  cap holds exactly.
- A second ``pytest --agent-all`` while the first is alive: it refuses, naming the
  first, and touches nothing; the first's worktree is kept and the first run finishes
  its task.

Each pair of processes meets at a barrier (each writes a ready file and waits for the
other's), so both are alive and working at once.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import GREET_DIFF
from conftest import GitProject
from conftest import git
from conftest import wait_until

from pytest_agent.plan import load_plans

#: Waits in this module: bounded, generous (a loaded 2-core machine), never asserted.
WAIT = 120.0

BARRIER = """\
import sys, time
from pathlib import Path

me, other = Path(sys.argv[1] + ".ready"), Path(sys.argv[2] + ".ready")
me.write_text("ready")
deadline = time.monotonic() + 120
while not other.exists():
    if time.monotonic() > deadline:
        sys.exit("the other process never came")
    time.sleep(0.01)
"""


def run_pair(script: str, args: tuple[list[str], list[str]], where: Path) -> list[str]:
    """Run ``script`` in two processes that start their work together; their stdouts."""
    names = [str(where / "first"), str(where / "second")]
    code = BARRIER + textwrap.dedent(script)
    procs = [
        subprocess.Popen([sys.executable, "-c", code, names[i], names[1 - i], *args[i]],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(2)
    ]
    outputs = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=WAIT)
            assert proc.returncode == 0, err
            outputs.append(out)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    return outputs


# -- plan write-back ----------------------------------------------------------------

PLAN = """\
# Sprint 12: header comment
# (two lines of it)

tasks:
  # A: the harness block exists, with comments on its values
  - id: A
    description: "first"   # trailing, after a quoted value
    accept_tests: [tests/test_a.py::test_a]
    # harness-owned:
    status: pending        # pending | in_progress | done | failed
    attempts: 0  # how many so far

  - id: B
    description: >
      folded, over
      two lines
    accept_tests:
      - tests/test_b.py::test_b   # a list item's comment
    # B has no harness fields yet: they are inserted

  # between the tasks
  - id: C
    description: third   # plain value, trailing comment
    accept_tests: [tests/test_c.py::test_c]
    status: pending
    # a comment inside the harness block

  - id: D
    description: fourth
    accept_tests: [tests/test_d.py::test_d]   # last key of the last task

# trailing comment at the end of the file
# and a second one, after which nothing follows
"""

WRITER = """\
from pytest_agent.writeback import update_task_fields

plan, tasks, rounds = Path(sys.argv[3]), sys.argv[4].split(","), int(sys.argv[5])
for n in range(1, rounds + 1):
    for task_id in tasks:
        update_task_fields(plan, task_id, {
            "status": "in_progress" if n < rounds else "done",
            "attempts": n,
            "last_error": f"round {n}: #{task_id} 'quoted' # not a comment",
        })
"""

_HARNESS_KEY = re.compile(
    r"^\s+(status|attempts|branch|commit|last_error|updated_at|tokens|cost|engine):")


def comments(text: str) -> list[str]:
    """Every comment of a YAML text, in order, with the line's key when it has one.

    Harness-owned values are rewritten, so their text is not compared; their trailing
    comments are (everything after two spaces and ``#`` that is outside a quoted value).
    """
    found = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            found.append(line)
        elif _HARNESS_KEY.match(line):
            key = line.split(":", 1)[0].strip()
            value = line.split(":", 1)[1]
            unquoted = re.sub(r'"(?:[^"\\]|\\.)*"', '""', value)
            if "  #" in unquoted:
                found.append(f"{key}: ...{unquoted[unquoted.index('  #'):]}")
        elif "  #" in line:
            found.append(line)
    return found


def test_plan_write_back_by_two_live_processes(tmp_path: Path) -> None:
    plan = tmp_path / "plans" / "sprint.yaml"
    plan.parent.mkdir()
    plan.write_text(PLAN)
    rounds = 15
    run_pair(WRITER, ([str(plan), "A,C", str(rounds)], [str(plan), "B,D", str(rounds)]),
             tmp_path)

    text = plan.read_text()
    # Nothing lost: every task has its last round's values, from whichever process.
    tasks = {t.id: t.spec for t in load_plans([plan])}
    for task_id in "ABCD":
        spec = tasks[task_id]
        assert (spec.status.value, spec.attempts) == ("done", rounds), (task_id, text)
        assert spec.last_error == f"round {rounds}: #{task_id} 'quoted' # not a comment"
    # Every comment of the plan survived, in order: header, between tasks, on values
    # (harness-owned ones too), inside the harness block, and the trailing ones.
    assert comments(text) == comments(PLAN)
    assert len(comments(PLAN)) == 15
    assert text.endswith("# trailing comment at the end of the file\n"
                         "# and a second one, after which nothing follows\n")
    # And every user line is there byte for byte, in order.
    user_lines = [ln for ln in PLAN.splitlines() if not _HARNESS_KEY.match(ln)]
    assert [ln for ln in text.splitlines() if not _HARNESS_KEY.match(ln)] == user_lines


# -- the daily cost ledger -------------------------------------------------------------

RESERVER = """\
from pytest_agent.engines.llm._budget import BudgetStop, DailyLedger

ledger = DailyLedger(Path(sys.argv[3]), cap=0.75)
granted = 0
for _ in range(100):
    try:
        ledger.reserve(1 / 128)
    except BudgetStop:
        continue
    granted += 1
print(granted)
"""


def test_daily_ledger_reserved_by_two_live_processes(tmp_path: Path) -> None:
    ledger = tmp_path / "memory" / "ledger.json"
    # 200 reservations of $1/128 (exact in binary) against a $0.75 cap: exactly 96
    # fit. A lost update between the processes would grant more.
    outputs = run_pair(RESERVER, ([str(ledger)], [str(ledger)]), tmp_path)
    assert sum(int(out) for out in outputs) == 96
    (day,) = json.loads(ledger.read_text())["days"].values()
    assert day == {"cost_usd": 0.75, "requests": 96}


# -- a second run while the first is alive ------------------------------------------------

HOLDING_PROPOSER = """\
import os
import time
from pathlib import Path

STARTED = Path({started!r})
RELEASE = Path({release!r})


def pytest_agent_localize(task, workspace, baseline, settings):
    return (), ""


def pytest_agent_propose_diff(task, context):
    # The first run holds its task here until the test has run the second one.
    if not STARTED.exists():
        STARTED.write_text(f"{{os.getpid()}} {{context.workspace.root}}")
        deadline = time.monotonic() + 120
        while not RELEASE.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    return {diff!r}
"""


@pytest.fixture
def first_run(project: GitProject, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    started, release = tmp_path / "started", tmp_path / "release"
    project.write("conftest.py", HOLDING_PROPOSER.format(
        started=str(started), release=str(release), diff=GREET_DIFF))
    project.write(".agent.yml", "max_reflexion_retries: 0\n")
    project.commit_all("a proposer that waits")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "--agent-all", "-p", "no:cacheprovider"],
        cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until(lambda: started.exists() or proc.poll() is not None,
                   "the first run reaching its proposer", WAIT)
        assert proc.poll() is None, proc.communicate()[0]
        yield proc, release
    finally:
        release.write_text("go")
        if proc.poll() is None:
            try:
                proc.communicate(timeout=WAIT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()


def test_second_run_while_the_first_is_alive(
    project: GitProject, first_run: tuple[subprocess.Popen[str], Path], tmp_path: Path
) -> None:
    proc, release = first_run
    pid, worktree = (tmp_path / "started").read_text().split(" ", 1)
    assert Path(worktree).is_dir()
    worktrees = git(project.root, "worktree", "list", "--porcelain")
    plan = project.plan_text()

    second = subprocess.run(
        [sys.executable, "-m", "pytest", "--agent-all", "-p", "no:cacheprovider"],
        cwd=project.root, capture_output=True, text=True, timeout=WAIT, check=False)
    output = second.stdout + second.stderr
    # The second run refuses to start, naming the live first one, and touches nothing.
    assert second.returncode == pytest.ExitCode.USAGE_ERROR, output
    assert f"another pytest-agent run (pid {pid} " in output, output
    assert proc.poll() is None
    assert (Path(worktree) / "src" / "hello.py").is_file()
    assert git(project.root, "worktree", "list", "--porcelain") == worktrees
    assert project.plan_text() == plan

    # The first run goes on and finishes its task as if alone.
    release.write_text("go")
    out, _ = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0, out
    spec = load_plans([project.root / "plans/sprint-12.yaml"])[0].spec
    assert (spec.status.value, spec.attempts, spec.branch) == ("done", 1, "agent/T-101")
    assert spec.commit == git(project.root, "rev-parse", "agent/T-101").strip()
    assert project.worktrees() == [str(project.root)]
