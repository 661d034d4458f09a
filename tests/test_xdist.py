"""Tasks in parallel with pytest-xdist: groups for dependencies, one writer of the plan, git lock.

The child runs load xdist explicitly (``-p xdist.plugin``): the suite's autouse
fixture turns plugin autoload off for speed (tests/conftest.py).
"""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import pytest
from conftest import GitProject
from conftest import git

from pytest_agent.plan import load_plans
from pytest_agent.session import dependency_groups

N_TASKS = 40
#: The last tasks form a chain (each depends on the one before): one xdist group.
CHAIN = range(34, 40)


def task_id(i: int) -> str:
    return f"T-{i:02d}"


def plan_text(numbers: range | list[int] = range(N_TASKS), chain: range = CHAIN) -> str:
    lines = ["# small tasks; the last ones form a dependency chain", "tasks:"]
    for i in numbers:
        lines += [
            f"  - id: {task_id(i)}",
            f"    description: value() of m{i} returns {i}",
            f"    accept_tests: [tests/test_m{i}.py::test_value]",
        ]
        if i in chain and i != chain[0]:
            lines.append(f"    depends_on: [{task_id(i - 1)}]")
        lines += ["    status: pending", "    attempts: 0"]
    return "\n".join(lines) + "\n"


# Each task edits its own module. The conftest logs each task's start and end, and
# its worker, as lines of one file outside the repository, opened for appending: the
# kernel orders the writes, so the file's order is the order of the events (no clock
# of any process is compared). Localization is skipped (a scripted proposer needs
# none), so a task costs about two inner runs.
CONFTEST = """\
import os
import re
import time
from pathlib import Path

EVENTS = Path(os.environ["AGENT_TEST_EVENTS"])


def _mark(task, what):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "controller")
    with open(EVENTS / "log", "a") as log:  # O_APPEND: one write per line, in order
        log.write(f"{what} {task.id} {worker}\\n")


def pytest_agent_task_start(task, workspace):
    _mark(task, "start")


def pytest_agent_task_end(task, result):
    _mark(task, "end")


def pytest_agent_localize(task, workspace, baseline, settings):
    return (), ""


def pytest_agent_propose_diff(task, context):
    i = int(task.id.split("-")[1])
    return (
        f"--- a/src/m{i}.py\\n+++ b/src/m{i}.py\\n@@ -1,2 +1,2 @@\\n"
        f" def value():\\n-    return -1\\n+    return {i}\\n"
    )
"""


# Appended to the conftest: a worker waits (briefly) until the controller has written
# ``in_progress`` for the task it is starting, from the worker's logstart report.
SEES_IN_PROGRESS = """

from pytest_agent.plan import load_plans


@__import__("pytest").hookimpl(tryfirst=True)
def pytest_agent_task_start(task, workspace):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        status = next(t.spec.status for t in load_plans([task.plan_path]) if t.id == task.id)
        if status.value == "in_progress":
            _mark(task, "in_progress")
            break
        time.sleep(0.05)
"""


@pytest.fixture
def many(project: GitProject, tmp_path_factory: pytest.TempPathFactory,
         monkeypatch: pytest.MonkeyPatch) -> tuple[GitProject, Path]:
    events = tmp_path_factory.mktemp("events")
    monkeypatch.setenv("AGENT_TEST_EVENTS", str(events))
    for i in range(N_TASKS):
        project.write(f"src/m{i}.py", "def value():\n    return -1\n")
        project.write(f"tests/test_m{i}.py", textwrap.dedent(f"""\
            from src.m{i} import value


            def test_value():
                assert value() == {i}
            """))
    project.write("plans/sprint-12.yaml", plan_text())
    project.write(".agent.yml", "lint_command: []\nmax_reflexion_retries: 0\n")
    project.write("conftest.py", CONFTEST)
    project.commit_all("forty tasks")
    return project, events


Event = tuple[str, str, str]  # (what, task id, worker)


def read_events(events: Path) -> list[Event]:
    """The logged events, in the order they happened."""
    lines = (events / "log").read_text().splitlines()
    return [(what, tid, worker) for what, tid, worker in (ln.split() for ln in lines)]


def most_at_once(log: list[Event]) -> int:
    """The largest number of tasks started and not yet ended, over the log."""
    running: set[str] = set()
    most = 0
    for what, tid, _ in log:
        if what == "start":
            running.add(tid)
            most = max(most, len(running))
        elif what == "end":
            running.discard(tid)
    return most


class TestParallel:
    def test_forty_tasks_four_workers(self, many: tuple[GitProject, Path]) -> None:
        project, events = many
        before = project.snapshot()
        head = git(project.root, "rev-parse", "HEAD").strip()
        result = project.pytester.runpytest("-p", "xdist.plugin", "-n", "4", "--agent-all",
                                            "-v")
        result.assert_outcomes(passed=N_TASKS)
        # -n switched the default --dist load to loadgroup: the chain is one group.
        result.stdout.fnmatch_lines(["*PASSED plans/sprint-12.yaml::T-39@agent-T-34*"])

        # Every status update reached the plan (one writer, the controller).
        tasks = {t.id: t.spec for t in load_plans([project.root / "plans/sprint-12.yaml"])}
        assert sorted(tasks) == [task_id(i) for i in range(N_TASKS)]
        for i in range(N_TASKS):
            spec = tasks[task_id(i)]
            assert (spec.status.value, spec.attempts, spec.branch) == (
                "done", 1, f"agent/{task_id(i)}"), (task_id(i), spec)
            sha = git(project.root, "rev-parse", f"agent/{task_id(i)}").strip()
            assert spec.commit == sha
            # The right change, from the right parent.
            assert git(project.root, "show", f"{sha}:src/m{i}.py") == (
                f"def value():\n    return {i}\n")
            changed = git(project.root, "show", "--format=", "--name-only", sha).split()
            assert changed == [f"src/m{i}.py"]
            parent = git(project.root, "rev-parse", f"{sha}^").strip()
            if i in CHAIN and i != CHAIN[0]:
                assert parent == tasks[task_id(i - 1)].commit
            else:
                assert parent == head
        assert project.branches() == sorted(
            ["main", *(f"agent/{task_id(i)}" for i in range(N_TASKS))])
        # The user's checkout is untouched; no worktree, marker or stale admin entry left.
        assert project.snapshot() == before
        assert git(project.root, "rev-parse", "HEAD").strip() == head
        assert project.worktrees() == [str(project.root)]
        assert list((project.root / ".git/pytest-agent/active").iterdir()) == []
        assert not (project.root / ".git/worktrees").exists() or not list(
            (project.root / ".git/worktrees").iterdir())

        log = read_events(events)
        # Each task started and ended once, on one worker.
        for what in ("start", "end"):
            assert sorted(tid for w, tid, _ in log if w == what) == [
                task_id(i) for i in range(N_TASKS)]
        worker_of = {tid: worker for what, tid, worker in log if what == "start"}
        assert {tid: worker for what, tid, worker in log if what == "end"} == worker_of
        # Ran in parallel: several workers, and a task started while another was running.
        assert len(set(worker_of.values())) >= 2, worker_of
        assert most_at_once(log) >= 2, log
        # The chain ran on one worker, each task after its dependency ended.
        assert len({worker_of[task_id(i)] for i in CHAIN}) == 1
        for dep, child in itertools.pairwise(task_id(i) for i in CHAIN):
            assert log.index(("start", child, worker_of[child])) > log.index(
                ("end", dep, worker_of[dep]))

    def test_worker_reports_write_in_progress_and_failures(
        self, many: tuple[GitProject, Path]
    ) -> None:
        project, events = many
        # T-03 fails; T-34 fails, so T-35 and T-36 (its chain) are skipped and stay pending.
        conftest = project.root / "conftest.py"
        conftest.write_text(conftest.read_text().replace(
            "    i = int(task.id.split(\"-\")[1])\n",
            "    i = int(task.id.split(\"-\")[1])\n"
            "    if task.id in ('T-03', 'T-34'):\n        return ''\n",
        ) + SEES_IN_PROGRESS)
        plan = project.root / "plans/sprint-12.yaml"
        project.write("plans/sprint-12.yaml", plan_text([0, 1, 3, 34, 35, 36]))
        project.commit_all("six tasks")
        result = project.pytester.runpytest(
            "-p", "xdist.plugin", "-n", "2", "--agent-all", "-rs")
        result.assert_outcomes(passed=2, failed=2, skipped=2)
        tasks = {t.id: t.spec for t in load_plans([plan])}
        assert tasks["T-03"].status.value == "failed"
        assert tasks["T-34"].status.value == "failed"
        for tid in ("T-35", "T-36"):
            assert tasks[tid].status.value == "pending"
            assert tasks[tid].last_error is not None
            assert "in this run" in tasks[tid].last_error
        # While each task ran, the controller had marked it in_progress in the plan.
        log = read_events(events)
        assert {tid for what, tid, _ in log if what == "in_progress"} == {
            "T-00", "T-01", "T-03", "T-34"}
        assert {tid for tid, spec in tasks.items() if spec.status.value == "done"} == {
            "T-00", "T-01"}
        assert project.branches() == ["agent/T-00", "agent/T-01", "main"]
        assert project.worktrees() == [str(project.root)]


class TestGroups:
    def test_dependency_components(self, project: GitProject) -> None:
        project.write("plans/sprint-12.yaml", textwrap.dedent("""\
            tasks:
              - {id: A, description: a, accept_tests: [t.py]}
              - {id: B, description: b, accept_tests: [t.py], depends_on: [D]}
              - {id: C, description: c, accept_tests: [t.py]}
              - {id: D, description: d, accept_tests: [t.py], depends_on: [A]}
              - {id: E, description: e, accept_tests: [t.py], depends_on: [C]}
              - {id: F, description: f, accept_tests: [t.py]}
            """))
        tasks = load_plans([project.root / "plans/sprint-12.yaml"])
        assert dependency_groups(tasks) == {
            "A": "agent-A", "B": "agent-A", "D": "agent-A", "C": "agent-C", "E": "agent-C",
        }


def test_consecutive_failures_stop_the_whole_xdist_run(many: tuple[GitProject, Path]) -> None:
    project, _ = many
    # Twelve independent tasks that all fail (no proposal); the threshold is two.
    project.write("plans/sprint-12.yaml", plan_text(range(12), range(0)))
    project.write(".agent.yml", "lint_command: []\nmax_reflexion_retries: 0\n"
                  "consecutive_failure_threshold: 2\n")
    project.write("conftest.py", CONFTEST.replace("    i = int(", "    return ''\n    i = int("))
    project.commit_all("failing tasks")
    result = project.pytester.runpytest("-p", "xdist.plugin", "-n", "2", "--agent-all")
    # Tasks already sent to a worker still run: the count may pass the threshold.
    result.stdout.fnmatch_lines(["*Interrupted: pytest-agent: * tasks failed in a row*"])
    outcomes = result.parseoutcomes()
    assert 2 <= outcomes["failed"] < 12
    tasks = load_plans([project.root / "plans/sprint-12.yaml"])
    assert sum(t.spec.status.value == "pending" for t in tasks) >= 12 - outcomes["failed"]


class TestGitLock:
    def test_waiting_for_the_lock_is_bounded_and_named(self, project: GitProject) -> None:
        from filelock import FileLock

        from pytest_agent.workspace import WorkspaceError
        from pytest_agent.workspace import WorkspaceManager

        manager = WorkspaceManager(project.root, lock_timeout=0.3)
        assert manager.lock_path == project.root / ".git/pytest-agent/git.lock"
        manager.lock_path.parent.mkdir(parents=True, exist_ok=True)
        # Another process's hold, as the kernel sees it: a second open file description.
        with FileLock(str(manager.lock_path)), pytest.raises(
            WorkspaceError, match=r"waiting for the git lock .*git\.lock: another pytest-agent"
        ):
            manager.cleanup_leftovers()
        # Released: the same call goes through, and the lock is re-entrant inside it.
        assert manager.cleanup_leftovers() == []
        with manager.locked(), manager.locked():
            pass
