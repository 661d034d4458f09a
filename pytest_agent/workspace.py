"""Git workspaces: one worktree per task on branch ``agent/<id>``.

Invariants (DESIGN.md): the user's checkout -- including uncommitted and
untracked files -- is never modified, reset or stashed. All work happens in a
worktree outside the user's tree (under the temp directory), on the task's own
branch. Every git call is an argument list with a timeout.

Leftovers of a killed run are recognized by a marker file kept in the git
directory (``<git-common-dir>/pytest-agent/active/<id>.json``) that names the
process that made the worktree; a marker whose process is gone means the branch
and worktree are leftovers, and they are removed before the task runs again.

Several processes may work on one repository at once (pytest-xdist workers, two
runs side by side). Git refuses, rather than waits, when two commands race for
its shared lock files (``packed-refs.lock``, ``config.lock``, the worktree
admin directory), so every operation that touches shared state -- branch
creation and deletion, worktree add/remove/prune, commits, the leftover
markers -- runs under one inter-process file lock in the git common directory
(``pytest-agent/git.lock``), with a timeout (issue #8). Work inside a worktree
needs no lock, and the slow parts that only touch one worktree and its own
branch run outside it: checking the files out (``worktree add --no-checkout``,
then ``reset --hard`` in the worktree), merging dependency branches, deleting
the files before ``worktree remove``. Automatic ``gc`` is
off for our commands: a background repack racing another worker's ref update is
exactly the failure the lock exists to prevent.

Crash consistency (issue #15): the commit of a repair carries a trailer
``Agent-Task: <id>``. A run killed after the commit but before the plan says
``done`` leaves a branch whose tip names its task; the next run keeps that branch
when it clears the dead run's leftovers, and the executor records the task done
from it (:meth:`WorkspaceManager.finished`) instead of failing on "branch already
exists". Worktrees are added locked, with the reason ``pytest-agent pid=N
host=H``: a dead run's worktree is found and removed from git's own list, wherever
its (possibly vanished) temp path was.

User hooks: none run. Every git command runs with ``core.hooksPath`` pointing at
an empty directory, so ``prepare-commit-msg``, ``post-commit``,
``reference-transaction``, ``post-checkout`` and the rest of a user's hooks never
run in a task's worktree (they belong to the user's own commits; the harness
runs its own checks: tests, the regression set and lint).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import final

from pytest_agent import _tempdirs
from pytest_agent._procs import run_process
from pytest_agent._types import CommitInfo
from pytest_agent._types import Task
from pytest_agent._types import Workspace
from pytest_agent._types import branch_name

__all__ = ["TASK_TRAILER", "GitError", "WorkspaceError", "WorkspaceManager", "find_repo_root"]


class GitError(Exception):
    """A git command failed; the message has the command and its output."""


class WorkspaceError(Exception):
    """A workspace cannot be made for a task (the message says why and what to do)."""


#: ``-c`` options of every command that may write objects: no automatic gc or
#: maintenance while other processes use the repository.
_NO_GC = ("-c", "gc.auto=0", "-c", "maintenance.auto=false")

#: The trailer naming the task in the commit of its repair (see the module docstring).
TASK_TRAILER = "Agent-Task"
#: The lock reason of our worktrees; the pid and host of the run follow.
_LOCK_REASON = "pytest-agent"

_AGENT_IDENTITY = {
    "GIT_AUTHOR_NAME": "pytest-agent",
    "GIT_AUTHOR_EMAIL": "pytest-agent@localhost",
    "GIT_COMMITTER_NAME": "pytest-agent",
    "GIT_COMMITTER_EMAIL": "pytest-agent@localhost",
}


def one_line(exc: BaseException) -> str:
    """The line of a git failure that says what went wrong (git's ``fatal:``/``error:``)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    said = [ln[ln.index(word):] for ln in lines for word in ("fatal:", "error:") if word in ln]
    line = said[0] if said else (lines[-1] if lines else type(exc).__name__)
    return line if len(line) <= 300 else line[:297] + "..."


def _no_hooks_env(hooks_dir: Path) -> dict[str, str]:
    """Config by environment (keeps git's messages free of ``-c``): no user hooks."""
    count = int(os.environ.get("GIT_CONFIG_COUNT", "0") or 0)
    return {
        "GIT_CONFIG_COUNT": str(count + 1),
        f"GIT_CONFIG_KEY_{count}": "core.hooksPath",
        f"GIT_CONFIG_VALUE_{count}": str(hooks_dir),
    }


def _git(args: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None,
         stdin: str | None = None) -> str:
    full_env = dict(os.environ)
    # Never prompt (no stdin in CI) and never page.
    full_env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "LC_ALL": "C"})
    if env:
        full_env.update(env)
    result = run_process(["git", *args], cwd=cwd, timeout=timeout, env=full_env, stdin=stdin)
    if result.timed_out:
        raise GitError(f"git {' '.join(args)} timed out after {timeout:.0f}s")
    if result.returncode != 0:
        raise GitError(
            f"git {' '.join(args)} failed ({result.returncode}): {result.output.strip()}"
        )
    return result.output


def _empty_worktree(path: Path) -> None:
    """Delete a worktree's files, keeping its ``.git`` file (git removes the rest)."""
    if not path.is_dir():
        return
    for child in path.iterdir():
        if child.name == ".git":
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def find_repo_root(path: Path, timeout: float = 30.0) -> Path:
    """The top of the git work tree containing ``path``."""
    try:
        out = _git(["rev-parse", "--show-toplevel"], path, timeout)
    except GitError:
        raise WorkspaceError(
            f"{path} is not inside a git repository: pytest-agent works on a git repository "
            "(run `git init` and commit your project first)"
        ) from None
    return Path(out.strip())


@final
@dataclass(frozen=True)
class _Marker:
    pid: int
    host: str
    base: str

    def is_alive(self) -> bool:
        if self.host != socket.gethostname():
            return True  # cannot tell; be safe and keep it
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def _owner(lock_reason: str) -> _Marker | None:
    """The run that locked a worktree, from our lock reason ``pytest-agent pid=N host=H``."""
    words = lock_reason.split()
    if not words or words[0] != _LOCK_REASON:
        return None
    values = {key: value for key, _, value in (w.partition("=") for w in words[1:])}
    try:
        return _Marker(pid=int(values["pid"]), host=values.get("host", ""), base="")
    except (KeyError, ValueError):
        return None


class WorkspaceManager:
    """Creates, resets, commits and removes task worktrees of one repository."""

    def __init__(
        self, repo_root: Path, *, git_timeout: float = 60.0, lock_timeout: float | None = None
    ) -> None:
        self.repo_root = repo_root
        self.timeout = git_timeout
        common = _git(["rev-parse", "--git-common-dir"], repo_root, git_timeout).strip()
        self.git_dir = (repo_root / common).resolve()
        self._state_dir = self.git_dir / "pytest-agent" / "active"
        #: The inter-process lock around shared git state (see the module docstring).
        self.lock_path = self.git_dir / "pytest-agent" / "git.lock"
        # Held at most for a few git commands of another process, each bounded by
        # git_timeout; waiting longer means something is stuck.
        self.lock_timeout = lock_timeout if lock_timeout is not None else 4 * git_timeout
        self._lock: Any = None
        # filelock's re-entrance is per lock object, not per thread: the RLock keeps two
        # threads sharing this manager apart too.
        self._thread_lock = threading.RLock()
        digest = hashlib.sha1(str(self.git_dir).encode()).hexdigest()[:12]
        self._worktrees = Path(tempfile.gettempdir()) / f"pytest-agent-{os.getuid()}" / digest
        #: An empty directory as ``core.hooksPath``: no user hook runs in our commands.
        self._no_hooks = self.git_dir / "pytest-agent" / "no-hooks"
        self._no_hooks_env: dict[str, str] | None = None
        self._identity_env: dict[str, str] | None = None

    # -- queries -------------------------------------------------------------

    def git(self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            stdin: str | None = None) -> str:
        if self._no_hooks_env is None:
            self._no_hooks.mkdir(parents=True, exist_ok=True)
            self._no_hooks_env = _no_hooks_env(self._no_hooks)
        return _git(list(args), cwd or self.repo_root, self.timeout,
                    {**self._no_hooks_env, **(env or {})}, stdin)

    def head(self) -> str:
        try:
            return self.git("rev-parse", "--verify", "HEAD^{commit}").strip()
        except GitError:
            raise WorkspaceError(
                f"{self.repo_root}: the repository has no commit yet; commit your project first"
            ) from None

    def branch_exists(self, branch: str) -> bool:
        try:
            self.git("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}")
        except GitError:
            return False
        return True

    def worktree_path(self, task_id: str) -> Path:
        return self._worktrees / task_id

    def finished(self, task: Task) -> CommitInfo | None:
        """The finished repair on ``agent/<id>``: its tip is our commit naming the task.

        A run killed between the commit and the plan's write-back leaves exactly that.
        """
        sha = self._finished_sha(task.id)
        return CommitInfo(sha=sha, branch=task.branch) if sha is not None else None

    def _finished_sha(self, task_id: str) -> str | None:
        try:
            out = self.git("log", "-1", f"--format=%H%n%(trailers:key={TASK_TRAILER},valueonly)",
                           f"refs/heads/{branch_name(task_id)}", "--")
        except GitError:
            return None
        sha, *values = out.splitlines() or [""]
        return sha if task_id in (v.strip() for v in values) else None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the repository's pytest-agent git lock (re-entrant within this manager)."""
        if self._lock is None:
            from filelock import FileLock

            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
            # thread_local=False: one manager's lock is one lock, whichever thread holds it.
            self._lock = FileLock(str(self.lock_path), timeout=self.lock_timeout,
                                  thread_local=False)
        from filelock import Timeout

        with self._thread_lock:
            try:
                self._lock.acquire()
            except Timeout:
                raise WorkspaceError(
                    f"timed out after {self.lock_timeout:.0f}s waiting for the git lock "
                    f"{self.lock_path}: another pytest-agent process is holding it (a stuck "
                    "git command?); the lock is released when that process ends"
                ) from None
            try:
                yield
            finally:
                self._lock.release()

    # -- lifecycle -----------------------------------------------------------

    def cleanup_leftovers(self) -> list[str]:
        """Remove worktrees and branches that a killed run left behind; return their ids."""
        removed: list[str] = []
        with self.locked():
            if not self._maybe_left_over():
                _tempdirs.sweep()
                return removed
            for task_id in self._dead_runs():
                # A finished repair (killed before the write-back) keeps its branch.
                try:
                    self._remove(task_id, delete_branch=self._finished_sha(task_id) is None)
                except WorkspaceError:
                    continue  # e.g. the user checked the branch out; the task will say so
                removed.append(task_id)
            with contextlib.suppress(GitError):
                self.git("worktree", "prune")
        # Temp directories of killed runs (report dirs, workspace copies): theirs, not git's.
        _tempdirs.sweep()
        return removed

    def _maybe_left_over(self) -> bool:
        """Whether a run of ours may have left something: a marker, or a linked worktree
        locked with our reason (``<git-common-dir>/worktrees/<name>/locked`` holds the lock
        reason, gitrepository-layout(5)). Without either, listing and pruning the
        worktrees (two git processes per run) cannot find anything of ours: every worktree
        we add is locked from its creation (``worktree add --lock``) after its marker is
        written, and the marker goes last."""
        if self._state_dir.is_dir() and any(self._state_dir.glob("*.json")):
            return True
        admin = self.git_dir / "worktrees"
        try:
            entries = list(admin.iterdir())
        except FileNotFoundError:
            return False
        for entry in entries:
            try:
                reason = (entry / "locked").read_text(errors="replace")
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError:
                return True  # cannot tell: look with git
            if reason.startswith(_LOCK_REASON):
                return True
        return False

    def _dead_runs(self) -> list[str]:
        """Task ids whose marker or locked worktree belongs to a process that is gone."""
        dead: set[str] = set()
        alive: set[str] = set()
        if self._state_dir.is_dir():
            for marker_file in self._state_dir.glob("*.json"):
                marker = self._read_marker(marker_file)
                live = marker is not None and marker.is_alive()
                (alive if live else dead).add(marker_file.stem)
        for _, task_id, owner in self._agent_worktrees():
            if owner is not None and not owner.is_alive() and task_id not in alive:
                dead.add(task_id)
        return sorted(dead)

    def _agent_worktrees(self) -> list[tuple[Path, str, _Marker | None]]:
        """``(path, task id, owner)`` of each worktree on an ``agent/*`` branch.

        The owner is read from the lock reason of our worktrees; ``None`` for a worktree
        that is not ours (a user's checkout of a task branch).
        """
        try:
            out = self.git("worktree", "list", "--porcelain")
        except GitError:
            return []
        found = []
        for block in out.split("\n\n"):
            fields = {key: value for key, _, value in
                      (line.partition(" ") for line in block.splitlines() if line)}
            branch = fields.get("branch", "")
            if not branch.startswith("refs/heads/agent/") or "worktree" not in fields:
                continue
            found.append((Path(fields["worktree"]), branch.removeprefix("refs/heads/agent/"),
                          _owner(fields.get("locked", ""))))
        return found

    def create(self, task: Task, *, base: str | None = None, replace_branch: bool = False,
               merge: tuple[str, ...] = ()) -> Workspace:
        """A fresh worktree on ``agent/<id>`` from ``base`` (default: HEAD).

        ``merge`` names further branches merged into the new branch (for tasks that
        depend on several others).
        """
        with self.locked():
            path, base_commit = self._create_locked(task, base, replace_branch)
        # Writing the files (proportional to the project's size) and merging touch only
        # this worktree and its own branch: outside the lock, in parallel with others.
        try:
            self.git("reset", "--hard", "--quiet", cwd=path)
            for other in merge:
                # As for commit(): the user's signing and hooks are not the harness's.
                self.git(*_NO_GC, "-c", "commit.gpgsign=false", "merge", "--no-edit",
                         "--no-verify", "--quiet", other, cwd=path,
                         env=self._identity())
        except GitError as exc:
            with self.locked():
                self._remove(task.id, delete_branch=True)
            raise WorkspaceError(f"cannot make a worktree for {task.id}: {exc}") from None
        # With nothing merged, the worktree's HEAD is the sha resolved above.
        head = base_commit if not merge else self.git("rev-parse", "HEAD", cwd=path).strip()
        return Workspace(root=path, branch=task.branch, base_commit=head,
                         repo_root=self.repo_root)

    def _create_locked(self, task: Task, base: str | None,
                       replace_branch: bool) -> tuple[Path, str]:
        """The branch and an empty worktree (``--no-checkout``), and the base commit's
        sha; call under the lock."""
        branch = task.branch
        marker_file = self._state_dir / f"{task.id}.json"
        if marker_file.exists():
            marker = self._read_marker(marker_file)
            if marker is not None and marker.is_alive() and marker.pid != os.getpid():
                raise WorkspaceError(
                    f"task {task.id} is being worked on by another run (pid {marker.pid})"
                )
            self._remove(task.id, delete_branch=True)
        # One git process for both: the base commit (HEAD by default) and the branch.
        base_commit, tip = self._resolve(base or "HEAD", f"refs/heads/{branch}")
        if base_commit is None:
            raise WorkspaceError(
                f"{self.repo_root}: the repository has no commit yet; commit your project first"
                if base is None else f"cannot make a worktree for {task.id}: the base {base} "
                "does not name a commit"
            )
        if tip is not None:
            if not replace_branch:
                raise WorkspaceError(
                    f"branch {branch} already exists; pytest-agent does not overwrite it. "
                    f"Delete it (git branch -D {branch}), or set replace_branch "
                    "(--agent-replace-branch / AGENT_REPLACE_BRANCH=1) to replace it"
                )
            self._delete_branch(branch)
        path = self.worktree_path(task.id)
        if path.exists():
            shutil.rmtree(path, ignore_errors=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._state_dir.mkdir(parents=True, exist_ok=True)
        marker_file.write_text(
            json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "base": base_commit})
        )
        try:
            self.git("worktree", "add", "--quiet", "--no-checkout", "--lock", "--reason",
                     f"{_LOCK_REASON} pid={os.getpid()} host={socket.gethostname()}",
                     "-b", branch, str(path), base_commit)
        except GitError as exc:
            self._remove(task.id, delete_branch=True)
            raise WorkspaceError(f"cannot make a worktree for {task.id}: {exc}") from None
        return path, base_commit

    def _resolve(self, *names: str) -> list[str | None]:
        """The commit each name resolves to (``None``: no such commit), in one process.

        ``git rev-parse --verify`` takes one name per process; ``cat-file --batch-check``
        answers a line per name, in order, ``missing`` for a name that resolves to nothing.
        """
        out = self.git("cat-file", "--batch-check=%(objectname) %(objecttype)",
                       stdin="".join(f"{name}^{{commit}}\n" for name in names))
        answers: list[str | None] = []
        for line in out.splitlines()[:len(names)]:
            sha, _, kind = line.rpartition(" ")
            answers.append(sha if kind == "commit" and sha else None)
        if len(answers) != len(names):
            raise GitError(f"git cat-file answered {out!r} for {names}")
        return answers

    def reset(self, workspace: Workspace) -> None:
        """Back to the base commit: every attempt starts from a clean workspace."""
        self.git("reset", "--hard", "--quiet", workspace.base_commit, cwd=workspace.root)
        self.git("clean", "-fdxq", cwd=workspace.root)

    def reset_if_changed(self, workspace: Workspace) -> None:
        """:meth:`reset` unless the workspace is exactly its base commit: one git process
        (``status``) instead of two when nothing changed, as after runs that wrote nothing
        into it (inner runs write no bytecode and no cache)."""
        if not self._pristine(workspace):
            self.reset(workspace)

    def _pristine(self, workspace: Workspace) -> bool:
        """HEAD is the base commit, and no tracked, untracked or ignored file differs."""
        out = self.git("status", "--porcelain=v2", "-z", "--branch", "--ignored",
                       "--untracked-files=normal", cwd=workspace.root)
        entries = [entry for entry in out.split("\0") if entry]
        head = [e.split()[2] for e in entries if e.startswith("# branch.oid ")]
        return head == [workspace.base_commit] and all(e.startswith("# ") for e in entries)

    def changed_files(self, workspace: Workspace) -> list[str]:
        out = self.git("status", "--porcelain", "-z", "--untracked-files=all", cwd=workspace.root)
        files = []
        entries = out.split("\0")
        i = 0
        while i < len(entries):
            entry = entries[i]
            if len(entry) > 3:
                files.append(entry[3:])
                if entry[0] in "RC":
                    i += 1  # the rename's source follows
            i += 1
        return files

    def diff(self, workspace: Workspace) -> str:
        """The workspace's change against its base, new files included."""
        self.git("add", "--intent-to-add", "--all", cwd=workspace.root)
        return self.git("diff", workspace.base_commit, cwd=workspace.root)

    def commit(
        self, workspace: Workspace, task: Task, files: tuple[str, ...], *, review: str = ""
    ) -> CommitInfo:
        """One commit of ``files`` on the task's branch.

        ``review``: a line saying the change may only fit the tests (``Proposal.review``);
        it opens the message body, so that ``git log`` shows it to the reviewer.
        """
        # The trailer lets a later run recognize the finished repair (module docstring).
        body = f"{review}\n\n" if review else ""
        message = (f"[Agent] Complete {task.id}: {task.description.strip()}\n\n"
                   f"{body}{TASK_TRAILER}: {task.id}\n")
        paths = list(files) or self.changed_files(workspace)
        if not paths:
            raise WorkspaceError(f"cannot commit the repair of {task.id}: the change is empty")
        try:
            self.git("add", "--all", "--", *paths, cwd=workspace.root)
            identity = self._identity()
            with self.locked():
                self.git(
                    *_NO_GC, "-c", "commit.gpgsign=false", "commit", "--quiet", "--no-verify",
                    "-m", message, cwd=workspace.root, env=identity,
                )
            sha = self.git("rev-parse", "HEAD", cwd=workspace.root).strip()
        except GitError as exc:
            raise WorkspaceError(
                f"cannot commit the repair of {task.id}: {one_line(exc)}"
            ) from None
        return CommitInfo(sha=sha, branch=workspace.branch)

    def finish(self, workspace: Workspace, task: Task, *, keep_branch: bool) -> None:
        """Remove the worktree; keep the branch on success, delete it on failure."""
        # The files go first, outside the lock (the slow part in a big project); git
        # then only drops its bookkeeping of the worktree, under the lock.
        path = self.worktree_path(task.id)
        _empty_worktree(path)
        with self.locked():
            # The task's own worktree is the only one on its branch (git allows one):
            # removing it is one git process. Anything unexpected: the full removal.
            try:
                self.git("worktree", "remove", "--force", "--force", str(path))
            except GitError:
                self._remove(task.id, delete_branch=not keep_branch)
                return
            if not keep_branch:
                self._delete_branch(branch_name(task.id), missing_ok=True)
            (self._state_dir / f"{task.id}.json").unlink(missing_ok=True)

    # -- internals -----------------------------------------------------------

    def _identity(self) -> dict[str, str]:
        """Commit as the user when git knows them, else as pytest-agent (asked once per
        manager: two git commands per commit otherwise)."""
        if self._identity_env is None:
            try:
                out = self.git("config", "--get-regexp", r"^user\.(email|name)$")
            except GitError:  # exit 1: neither is set
                out = ""
            keys = {line.split(" ", 1)[0] for line in out.splitlines()}
            known = {"user.email", "user.name"} <= keys
            self._identity_env = {} if known else dict(_AGENT_IDENTITY)
        return dict(self._identity_env)

    def _read_marker(self, path: Path) -> _Marker | None:
        try:
            data = json.loads(path.read_text())
            return _Marker(pid=int(data["pid"]), host=str(data["host"]), base=str(data["base"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _remove(self, task_id: str, *, delete_branch: bool) -> None:
        """Remove a task's worktrees, marker and (optionally) branch; call under the lock.

        Every worktree of ours on the task's branch goes, wherever it is: a killed run
        may have used another temp directory, since gone (then only git's record is left).
        """
        paths = {self.worktree_path(task_id)}
        paths.update(path for path, tid, owner in self._agent_worktrees()
                     if tid == task_id and owner is not None)
        for path in sorted(paths):
            try:
                self.git("worktree", "remove", "--force", "--force", str(path))
            except GitError:
                shutil.rmtree(path, ignore_errors=True)
        with contextlib.suppress(GitError):
            self.git("worktree", "prune")
        if delete_branch and self.branch_exists(branch_name(task_id)):
            self._delete_branch(branch_name(task_id))
        (self._state_dir / f"{task_id}.json").unlink(missing_ok=True)

    def _delete_branch(self, branch: str, *, missing_ok: bool = False) -> None:
        try:
            self.git("branch", "-D", branch)
        except GitError as exc:
            if missing_ok and not self.branch_exists(branch):
                return
            raise WorkspaceError(f"cannot delete the branch {branch}: {one_line(exc)}") from None
