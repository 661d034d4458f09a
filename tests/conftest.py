from __future__ import annotations

import hashlib
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

GREET_DIFF = """\
--- a/src/hello.py
+++ b/src/hello.py
@@ -1,2 +1,6 @@
 def other():
     return 1
+
+
+def greet(name):
+    return f"Hello, {name}!"
"""

WRONG_GREET_DIFF = """\
--- a/src/hello.py
+++ b/src/hello.py
@@ -1,2 +1,6 @@
 def other():
     return 1
+
+
+def greet(name):
+    return f"Hi, {name}"
"""

GREET_PLAN = """\
# plans/sprint-12.yaml: the team's sprint plan
tasks:
  - id: T-101
    description: "greet(name) returns 'Hello, <name>!'"
    files: [src/hello.py]
    accept_tests:
      - tests/test_hello.py::test_greet
    # harness-owned:
    status: pending        # pending | in_progress | done | failed
    attempts: 0
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=60
    ).stdout


class GitProject:
    """A small git project inside a pytester directory, with helpers for assertions."""

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        self.root = pytester.path

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    def commit_all(self, message: str = "init") -> None:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", message)

    def branches(self) -> list[str]:
        out = git(self.root, "branch", "--format=%(refname:short)")
        return sorted(out.split())

    def worktrees(self) -> list[str]:
        out = git(self.root, "worktree", "list", "--porcelain")
        return [ln.split(" ", 1)[1] for ln in out.splitlines() if ln.startswith("worktree ")]

    def snapshot(self, exclude: tuple[str, ...] = ("plans/", "memory/")) -> dict[str, str]:
        """Hash of every file of the user's tree outside .git and the excluded dirs."""
        result = {}
        for path in sorted(self.root.rglob("*")):
            rel = path.relative_to(self.root).as_posix()
            if rel.startswith(".git/") or rel == ".git" or rel.startswith(exclude):
                continue
            if "__pycache__" in rel or ".pytest_cache" in rel:
                continue
            if path.is_file():
                result[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        return result

    def plan_text(self, name: str = "plans/sprint-12.yaml") -> str:
        return (self.root / name).read_text()


@pytest.fixture(autouse=True)
def _only_our_plugin_in_child_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Child pytest runs (pytester's and the harness's inner runs) load only pytest-agent.

    The dev environment has many pytest plugins installed (hypothesis, xdist, ...);
    loading them costs ~1.5 s per inner run, and the harness makes several inner runs
    per task. A test that needs another plugin in its child run passes it with ``-p``
    (e.g. ``-p xdist.plugin``) or deletes these variables.
    """
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PYTEST_PLUGINS", "pytest_agent.plugin")
    # Inside GitHub Actions the agent runs of the tests would append to the real job summary.
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitProject]:
    """The seed's greet project: src/hello.py without greet(), its test, and a plan."""
    for var in ("AGENT_API_KEY", "OPENAI_API_KEY", "AGENT_BASE_URL", "AGENT_ENGINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test User")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "test@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test User")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "test@example.com")
    proj = GitProject(pytester)
    git(proj.root, "init", "-q", "-b", "main")
    proj.write("src/__init__.py", "")
    proj.write("src/hello.py", "def other():\n    return 1\n")
    proj.write(
        "tests/test_hello.py",
        """\
        from src.hello import greet


        def test_greet():
            assert greet("Ada") == "Hello, Ada!"
        """,
    )
    proj.write("plans/sprint-12.yaml", GREET_PLAN)
    proj.write("pytest.ini", "[pytest]\npythonpath = .\n")
    proj.commit_all()
    yield proj
    # Never leave worktrees behind in the temp dir, whatever the test did.
    for wt in proj.worktrees()[1:]:
        subprocess.run(["git", "worktree", "remove", "--force", wt], cwd=proj.root,
                       capture_output=True, timeout=60, check=False)
