from __future__ import annotations

import hashlib
import importlib.util
import ipaddress
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

# Imported by the test process before any pytester run: pytester's in-process runs put
# sys.modules back as they found it, so a first import during such a run would be
# undone, and libyaml's C extension (ruamel.yaml.clib), which cannot be imported twice,
# would keep referring to the first copies of ruamel's node classes ("could not
# determine a constructor for the tag 'None'" in every later YAML load). A real pytest
# process never re-imports; only the suite needs this.
import ruamel.yaml
import ruamel.yaml.constructor
import ruamel.yaml.nodes  # noqa: F401

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


BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def benchmark_script(rel: str, name: str, *, sibling_imports: bool = False) -> ModuleType:
    """A script of benchmarks/ (``rel``, e.g. ``localize/spectrum_cache.py``), imported
    once as module ``name``. Registered in ``sys.modules`` before it runs, since its
    dataclasses and pickles look their module up there; with ``sibling_imports`` its
    directory is on ``sys.path`` while it loads (it imports a sibling script)."""
    if name in sys.modules:
        return sys.modules[name]
    path = BENCHMARKS / rel
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    if sibling_imports:
        sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        if sibling_imports:
            sys.path.remove(str(path.parent))
    return module


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    """Poll ``condition`` until it holds; past ``timeout`` seconds the test fails naming
    ``what`` never happened. A bound on a wait (so a hang is a failure), not a timing
    assertion: the timeout is generous and nothing asserts how long the wait took."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.02)


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
        # os.walk, pruning .git and caches instead of filtering what rglob found under
        # them: a killed run's git child may still be changing .git/worktrees while we
        # walk (CI at 5de8264: FileNotFoundError in rglob, inside .git).
        for dirpath, dirnames, filenames in os.walk(self.root):
            here = Path(dirpath)
            dirnames[:] = [d for d in dirnames
                           if not (here == self.root and d == ".git")
                           and d not in ("__pycache__", ".pytest_cache")]
            for name in filenames:
                path = here / name
                rel = path.relative_to(self.root).as_posix()
                if rel == ".git" or rel.startswith(exclude) or not path.is_file():
                    continue
                result[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        return result

    def plan_text(self, name: str = "plans/sprint-12.yaml") -> str:
        return (self.root / name).read_text()


#: Variables that switch or steer the harness (settings, engine, endpoints, the inner
#: runs' own channels): a developer's shell must not reach the suite through them.
_HARNESS_PREFIXES = ("AGENT_", "OPENAI_", "PYTEST_AGENT_")
#: Other variables that change what a child run prints or does.
_HARNESS_VARIABLES = ("PYTEST_ADDOPTS", "PYTEST_TIMEOUT", "GITHUB_STEP_SUMMARY",
                      "PY_COLORS", "FORCE_COLOR", "NO_COLOR")
#: ``GIT_*`` variables that only say where git and certificates are; every other one
#: (GIT_DIR, GIT_INDEX_FILE, GIT_CONFIG_*, GIT_AUTHOR_*, ...) would redirect or change
#: the tests' repositories.
_GIT_KEPT = ("GIT_EXEC_PATH", "GIT_SSL_CAINFO", "GIT_SSL_CAPATH")
#: The only git configuration the tests see: an identity for their commits, no signing.
#: With GIT_CONFIG_NOSYSTEM and GIT_CONFIG_GLOBAL pointing here, no system or user
#: setting (hooks path, template dir, gpg, aliases) applies.
_GITCONFIG = """\
[user]
\tname = Test User
\temail = test@example.com
[commit]
\tgpgsign = false
[tag]
\tgpgsign = false
"""


def _leaks(environ: Mapping[str, str]) -> list[str]:
    """The variables of ``environ`` that the clean test environment removes."""
    return sorted(
        name for name in environ
        if name.startswith(_HARNESS_PREFIXES) or name in _HARNESS_VARIABLES
        or (name.startswith("GIT_") and name not in _GIT_KEPT)
    )


def _isolated_git(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    (home / "gitconfig").write_text(_GITCONFIG)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    # Tools that read a user configuration from XDG (ruff, which the harness runs as its
    # lint command) find none.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))


def _only_our_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    """Child pytest runs load our plugin and no other installed one: the dev environment
    has many (hypothesis, xdist, benchmark, ...), and importing them costs about 1.5 s per
    child run. Set for the session too, so that the agent runs of module-scoped fixtures
    (tests/test_redaction.py: three times faster with it) do not load them either."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PYTEST_PLUGINS", "pytest_agent.plugin")


class NetworkRefused(OSError):
    """A test tried to reach a host other than this machine."""


def _loopback(address: object) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost", "", "::1"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name other than localhost: it would be resolved remotely


def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connections from the test process go to 127.0.0.1/::1 only (servers the tests
    start); anything else fails at once, naming the address, instead of reaching out."""
    for name in ("connect", "connect_ex"):
        original = getattr(socket.socket, name)

        def guarded(self: socket.socket, address: object, *, _original: Any = original) -> Any:
            if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
                raise NetworkRefused(f"the test suite does not reach the network: {address!r}")
            return _original(self, address)

        monkeypatch.setattr(socket.socket, name, guarded)


@pytest.fixture(scope="session", autouse=True)
def _clean_session_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No ``AGENT_*``/``OPENAI_*``/``GIT_*`` variable of the caller's shell reaches a test,
    and no test process connects anywhere but to this machine.

    Session-scoped so that module- and class-scoped fixtures (agent runs shared by
    several tests) see the clean environment too; ``_clean_test_environment`` then gives
    every test its own git configuration. PYTHONPATH stays: the team's worktrees rely on it.
    """
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in _leaks(os.environ):
            monkeypatch.delenv(name)
        # An xdist worker of this suite (addopts ``-n 2``) is not a worker of the agent
        # runs its tests start: their plugin reads PYTEST_XDIST_WORKER to tell.
        for name in [n for n in os.environ if n.startswith("PYTEST_XDIST_")]:
            monkeypatch.delenv(name)
        _isolated_git(monkeypatch, tmp_path_factory.mktemp("session-home"))
        _only_our_plugin(monkeypatch)
        _no_network(monkeypatch)
        yield


@pytest.fixture(autouse=True)
def _clean_test_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Each test: its own git identity file, and child runs that load only our plugin.

    The dev environment has many pytest plugins installed (hypothesis, xdist, ...);
    loading them costs ~1.5 s per inner run, and the harness makes several inner runs
    per task. A test that needs another plugin in its child run passes it with ``-p``
    (e.g. ``-p xdist.plugin``) or deletes these variables.
    """
    _isolated_git(monkeypatch, tmp_path_factory.mktemp("home"))
    _only_our_plugin(monkeypatch)


@pytest.fixture
def project(pytester: pytest.Pytester) -> Iterator[GitProject]:
    """The seed's greet project: src/hello.py without greet(), its test, and a plan.

    Its environment is the clean one of ``_clean_test_environment`` (identity from the
    test's own git configuration).
    """
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


def pytest_addoption(parser: pytest.Parser) -> None:
    # Fault injection (tests/test_faults.py, issue #15): how many runs to kill -9.
    parser.addoption("--kills", type=int, default=50,
                     help="fault injection: runs killed with SIGKILL at random points")
    parser.addoption("--kills-seed", default=None, help="fault injection: replay this seed")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "faults: fault injection (#15): random kill -9, concurrent runs, fuzzing")
    # pytest-xdist's own marker, also known when a run blocks xdist (``-p no:xdist``).
    config.addinivalue_line(
        "markers", "xdist_group(name): tests that share a module-scoped run go to one worker")
