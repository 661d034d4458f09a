"""The git processes of a task's workspace: only those it needs (#13), invariants kept.

Every test works on a real repository; git runs through a wrapper on ``PATH`` that logs
each command (``git <subcommand> ...``) before running the real git, so the tests see
exactly which processes a step started.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import GitProject
from conftest import git

from pytest_agent._types import Task
from pytest_agent.workspace import WorkspaceError
from pytest_agent.workspace import WorkspaceManager


class GitLog:
    """The git commands started since the last :meth:`take`, as ``subcommand`` words."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def take(self) -> list[str]:
        lines = self.path.read_text().splitlines() if self.path.exists() else []
        self.path.write_text("")
        return [_subcommand(line.split("\t")) for line in lines]


def _subcommand(argv: list[str]) -> str:
    """``worktree add``, ``reset``, ...: the first words that are not ``-c`` options."""
    words = list(argv)
    while words and words[0] == "-c":
        words = words[2:]
    if not words:
        return ""
    return " ".join(words[:2]) if words[0] == "worktree" else words[0]


@pytest.fixture
def gitlog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitLog:
    real = shutil.which("git")
    assert real is not None
    bindir = tmp_path / "gitlog-bin"
    bindir.mkdir()
    log = tmp_path / "git.log"
    wrapper = bindir / "git"
    # One line per command, its arguments separated by tabs (a commit message may hold
    # newlines: only the words before it matter here).
    wrapper.write_text(
        "#!/bin/sh\n"
        f"(IFS='\t'; printf '%s\\n' \"$*\" | head -n 1) >> '{log}'\n"
        f"exec '{real}' \"$@\"\n"
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return GitLog(log)


def task(task_id: str = "T-1") -> Task:
    return Task(id=task_id, description="d", accept_tests=("tests/test_hello.py::test_greet",))


def fresh(project: GitProject) -> WorkspaceManager:
    git(project.root, "add", "-A")
    git(project.root, "commit", "-q", "--allow-empty", "-m", "what the test wrote")
    return WorkspaceManager(project.root)


pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="a sh wrapper for git")


def test_a_task_s_life_runs_only_the_git_it_needs(project: GitProject, gitlog: GitLog) -> None:
    manager = fresh(project)
    gitlog.take()
    # A repository with nothing of ours in it: no run can have left anything.
    assert manager.cleanup_leftovers() == []
    assert gitlog.take() == []
    ws = manager.create(task())
    # One process resolves the base and checks the branch; add; checkout.
    assert gitlog.take() == ["cat-file", "worktree add", "reset"]
    assert ws.base_commit == git(project.root, "rev-parse", "HEAD").strip()
    gitlog.take()
    manager.reset_if_changed(ws)  # nothing wrote into it: one status, no reset, no clean
    assert gitlog.take() == ["status"]
    (ws.root / "src/hello.py").write_text("def greet(name):\n    return name\n")
    commit = manager.commit(ws, task(), ("src/hello.py",))
    assert gitlog.take() == ["add", "config", "commit", "rev-parse"]
    manager.finish(ws, task(), keep_branch=True)
    # The task's own worktree is the only one on its branch: no list, no prune.
    assert gitlog.take() == ["worktree remove"]
    assert project.worktrees() == [str(project.root)]
    assert git(project.root, "rev-parse", "agent/T-1").strip() == commit.sha
    assert not (manager.git_dir / "pytest-agent/active/T-1.json").exists()


def test_a_failed_task_leaves_no_branch_with_two_git_processes(
    project: GitProject, gitlog: GitLog
) -> None:
    manager = fresh(project)
    ws = manager.create(task())
    (ws.root / "new.txt").write_text("x")
    gitlog.take()
    manager.finish(ws, task(), keep_branch=False)
    assert gitlog.take() == ["worktree remove", "branch"]
    assert project.branches() == ["main"]
    assert project.worktrees() == [str(project.root)]


@pytest.mark.parametrize("change", ["tracked", "untracked", "ignored", "staged", "committed"])
def test_a_workspace_that_changed_is_reset_to_its_base(
    project: GitProject, gitlog: GitLog, change: str
) -> None:
    project.write(".gitignore", "*.log\n")
    manager = fresh(project)
    ws = manager.create(task())
    before = {p.relative_to(ws.root).as_posix(): p.read_bytes()
              for p in ws.root.rglob("*") if p.is_file() and p.name != ".git"}
    if change == "tracked":
        (ws.root / "src/hello.py").write_text("changed\n")
    elif change == "untracked":
        (ws.root / "out" / "deep").mkdir(parents=True)
        (ws.root / "out/deep/data.txt").write_text("x")
    elif change == "ignored":
        (ws.root / "run.log").write_text("x")
    elif change == "staged":
        (ws.root / "src/extra.py").write_text("x = 1\n")
        git(ws.root, "add", "src/extra.py")
    else:
        (ws.root / "src/hello.py").write_text("changed\n")
        git(ws.root, "commit", "-qam", "a test made a commit")
    gitlog.take()
    manager.reset_if_changed(ws)
    assert gitlog.take() == ["status", "reset", "clean"]
    after = {p.relative_to(ws.root).as_posix(): p.read_bytes()
             for p in ws.root.rglob("*") if p.is_file() and p.name != ".git"}
    assert after == before
    assert git(ws.root, "rev-parse", "HEAD").strip() == ws.base_commit
    manager.finish(ws, task(), keep_branch=False)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(timeout=60)
    return proc.pid


def test_a_dead_run_s_locked_worktree_is_found_without_a_marker(
    project: GitProject, gitlog: GitLog, tmp_path: Path
) -> None:
    # The marker is gone, git's record of the worktree is not: only the lock reason
    # (in git's admin directory) says it is ours, and its run is dead.
    manager = fresh(project)
    path = tmp_path / "elsewhere" / "T-9"
    git(project.root, "worktree", "add", "-q", "--lock", "--reason",
        f"pytest-agent pid={_dead_pid()} host={socket.gethostname()}", "-b", "agent/T-9",
        str(path))
    gitlog.take()
    assert manager.cleanup_leftovers() == ["T-9"]
    assert "worktree list" in gitlog.take()
    assert project.worktrees() == [str(project.root)]
    assert project.branches() == ["main"]


def test_a_user_s_own_worktrees_cost_no_git_at_start(
    project: GitProject, gitlog: GitLog, tmp_path: Path
) -> None:
    manager = fresh(project)
    git(project.root, "worktree", "add", "-q", "-b", "feature", str(tmp_path / "feature"))
    git(project.root, "worktree", "add", "-q", "--lock", "--reason", "usb stick", "-b",
        "other", str(tmp_path / "other"))
    gitlog.take()
    assert manager.cleanup_leftovers() == []
    assert gitlog.take() == []
    assert len(project.worktrees()) == 3  # untouched


def test_a_live_run_s_marker_is_left_alone(project: GitProject, gitlog: GitLog) -> None:
    manager = fresh(project)
    ws = manager.create(task())  # this process: alive
    gitlog.take()
    assert WorkspaceManager(project.root).cleanup_leftovers() == []
    assert "worktree list" in gitlog.take()  # a marker: look
    assert str(ws.root) in project.worktrees()
    manager.finish(ws, task(), keep_branch=False)


def test_finish_when_the_worktree_vanished_still_cleans_everything(
    project: GitProject, gitlog: GitLog
) -> None:
    manager = fresh(project)
    ws = manager.create(task())
    shutil.rmtree(ws.root)  # e.g. a tmp cleaner; git's record stays
    manager.finish(ws, task(), keep_branch=False)
    assert project.worktrees() == [str(project.root)]
    assert project.branches() == ["main"]
    assert not list((manager.git_dir / "pytest-agent/active").glob("*.json"))


def test_an_existing_branch_is_still_refused(project: GitProject) -> None:
    manager = fresh(project)
    git(project.root, "branch", "agent/T-1")
    with pytest.raises(WorkspaceError, match=r"branch agent/T-1 already exists"):
        manager.create(task())
    assert project.worktrees() == [str(project.root)]
    ws = manager.create(task(), replace_branch=True)
    manager.finish(ws, task(), keep_branch=False)
    assert project.branches() == ["main"]


def test_a_base_that_names_no_commit_is_one_clear_message(project: GitProject) -> None:
    manager = fresh(project)
    with pytest.raises(WorkspaceError, match=r"T-1: the base agent/T-0 does not name a commit"):
        manager.create(task(), base="agent/T-0")
    assert project.worktrees() == [str(project.root)]
    assert project.branches() == ["main"]


def test_a_repository_without_a_commit_is_one_clear_message(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    with pytest.raises(WorkspaceError, match=r"has no commit yet; commit your project first"):
        WorkspaceManager(tmp_path).create(task())


def test_a_dependency_s_branch_is_the_base(project: GitProject, gitlog: GitLog) -> None:
    manager = fresh(project)
    first = manager.create(task("T-0"))
    (first.root / "src/hello.py").write_text("def greet(name):\n    return name\n")
    done = manager.commit(first, task("T-0"), ("src/hello.py",))
    manager.finish(first, task("T-0"), keep_branch=True)
    gitlog.take()
    ws = manager.create(task(), base="agent/T-0")
    assert gitlog.take() == ["cat-file", "worktree add", "reset"]
    assert ws.base_commit == done.sha
    assert (ws.root / "src/hello.py").read_text().startswith("def greet")
    manager.finish(ws, task(), keep_branch=False)


def test_the_identity_is_the_user_s_when_git_knows_it(
    project: GitProject, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    manager = fresh(project)
    ws = manager.create(task())
    (ws.root / "a.txt").write_text("a")
    sha = manager.commit(ws, task(), ("a.txt",)).sha
    assert git(project.root, "log", "-1", "--format=%an <%ae>", sha).strip() == \
        "Test User <test@example.com>"
    manager.finish(ws, task(), keep_branch=False)
    # Only a name: not a whole identity, so pytest-agent's.
    (tmp_path / "name-only").write_text("[user]\n\tname = Someone\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "name-only"))
    other = WorkspaceManager(project.root)
    ws = other.create(task("T-2"))
    (ws.root / "b.txt").write_text("b")
    sha = other.commit(ws, task("T-2"), ("b.txt",)).sha
    assert git(project.root, "log", "-1", "--format=%an <%ae>", sha).strip() == \
        "pytest-agent <pytest-agent@localhost>"
    other.finish(ws, task("T-2"), keep_branch=False)
