"""The suite's own environment: a developer's shell does not reach the tests.

``conftest.py`` removes every ``AGENT_*``/``OPENAI_*``/``GIT_*`` variable and gives each
test its own git configuration (an identity, no signing, no hooks). These tests show
that the cleaning happens (in-process) and that it is enough (a part of the suite run
in a subprocess under a hostile environment, no global git identity, an empty HOME).
"""

from __future__ import annotations

import os
import socket
import subprocess
import textwrap
import tomllib
from pathlib import Path

import pytest
from conftest import GREET_DIFF
from conftest import GitProject
from conftest import NetworkRefused
from conftest import git

from pytest_agent.plan import load_plans
from pytest_agent.settings import load_settings

TESTS = Path(__file__).parent


def hostile_environment(home: Path, hooks: Path) -> dict[str, str]:
    """What a developer's shell might hold: every variable would change a run."""
    hooks.mkdir(parents=True, exist_ok=True)
    for hook in ("pre-commit", "commit-msg", "pre-merge-commit"):
        (hooks / hook).write_text("#!/bin/sh\necho 'hostile hook refuses' >&2\nexit 1\n")
        (hooks / hook).chmod(0o755)
    home.mkdir(parents=True, exist_ok=True)
    return {
        # Engine, endpoint, key: `auto` would pick the LLM and call port 9.
        "AGENT_ENGINE": "llm",
        "AGENT_BASE_URL": "http://127.0.0.1:9/v1",
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "OPENAI_API_KEY": "sk-hostile-0123456789abcdef",
        "AGENT_API_KEY": "hostile-key",
        # The loop's numbers.
        "AGENT_MAX_REFLEXION_RETRIES": "0",
        "AGENT_REQUEST_RETRIES": "9",
        "AGENT_REQUEST_TIMEOUT": "0.01",
        "AGENT_TEST_TIMEOUT": "0.01",
        "AGENT_GIT_TIMEOUT": "0.01",
        "AGENT_OFFLINE_TIME_BUDGET": "0.01",
        "AGENT_CANDIDATE_TIMEOUT": "0.01",
        "AGENT_CONSECUTIVE_FAILURE_THRESHOLD": "1",
        "AGENT_LINT_COMMAND": "false",
        "AGENT_PLAN_PATH": "nowhere",
        "AGENT_MEMORY_DIR": "elsewhere",
        # No global git identity, an empty HOME, and config from the environment that
        # signs every commit and runs failing hooks.
        "GIT_CONFIG_GLOBAL": os.devnull,
        "HOME": str(home),
        "GIT_CONFIG_COUNT": "2",
        "GIT_CONFIG_KEY_0": "commit.gpgsign",
        "GIT_CONFIG_VALUE_0": "true",
        "GIT_CONFIG_KEY_1": "core.hooksPath",
        "GIT_CONFIG_VALUE_1": str(hooks),
    }


class TestTheCleanEnvironment:
    def test_no_setting_reaches_a_test(self) -> None:
        leaked = sorted(k for k in os.environ if k.startswith(("AGENT_", "OPENAI_")))
        assert leaked == []
        settings = load_settings()  # from os.environ, as a run reads it
        assert settings == load_settings(environ={})
        assert settings.resolved_engine == "offline"

    def test_git_sees_only_the_tests_identity(self, tmp_path: Path) -> None:
        git(tmp_path, "init", "-q", "-b", "main")
        assert git(tmp_path, "config", "user.email").strip() == "test@example.com"
        assert git(tmp_path, "config", "commit.gpgsign").strip() == "false"
        shown = git(tmp_path, "config", "--show-origin", "--list")
        origins = {line.split("\t", 1)[0] for line in shown.splitlines()}
        # Only the test's own global file and the new repository's config.
        assert origins == {f"file:{os.environ['GIT_CONFIG_GLOBAL']}", "file:.git/config"}
        assert os.environ["GIT_CONFIG_GLOBAL"].startswith(str(tmp_path.parent))


def test_the_hostile_environment_is_hostile(tmp_path: Path) -> None:
    """Without the cleaning, these variables would change the settings and break commits."""
    env = hostile_environment(tmp_path / "home", tmp_path / "hooks")
    settings = load_settings(environ=env)
    assert (settings.resolved_engine, settings.max_reflexion_retries) == ("llm", 0)
    repo = tmp_path / "repo"
    repo.mkdir()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}

    def run_git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=repo, env={**clean, **env},
                              capture_output=True, text=True, timeout=60, check=False)

    assert run_git("init", "-q", "-b", "main").returncode == 0
    (repo / "a.txt").write_text("a\n")
    assert run_git("add", "a.txt").returncode == 0
    # No identity; with one, the hook refuses; past the hook, signing fails (no key).
    assert "Author identity unknown" in run_git("commit", "-q", "-m", "a").stderr
    who = ("-c", "user.name=U", "-c", "user.email=u@example.com")
    assert "hostile hook refuses" in run_git(*who, "commit", "-q", "-m", "a").stderr
    unsigned = run_git(*who, "commit", "--no-verify", "-q", "-m", "a")
    assert unsigned.returncode != 0
    assert "gpg" in unsigned.stderr


def test_part_of_the_suite_passes_in_a_hostile_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in hostile_environment(tmp_path / "home", tmp_path / "hooks").items():
        monkeypatch.setenv(name, value)
    for name in ("GIT_CONFIG_NOSYSTEM", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name)
    selection = [
        # The clean environment itself.
        f"{TESTS / 'test_environment.py'}::TestTheCleanEnvironment",
        # A real run: commits by the test's fixture and by the harness, one attempt.
        f"{TESTS / 'test_loop.py'}::TestHappyPath::test_task_done_branch_and_commit",
        # The retry count (4 attempts, not the hostile 1) and the accept tests' timeout.
        f"{TESTS / 'test_loop.py'}::TestRetries::test_failure_after_all_retries_leaves_nothing",
    ]
    # ``-n 0``: in one process (the suite's ini says ``-n 2``; four tests need no workers).
    result = pytester.runpytest_subprocess(*selection, "-p", "no:cacheprovider", "-n", "0",
                                           timeout=240)
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=4)


MERGE_PLAN = """\
tasks:
  - id: A
    description: greet
    accept_tests: [tests/test_hello.py::test_greet]
  - id: B
    description: shout
    accept_tests: [tests/test_shout.py::test_shout]
  - id: C
    description: both, on a merge of A and B
    depends_on: [A, B]
    accept_tests: [tests/test_hello.py::test_greet, tests/test_shout.py::test_shout]
"""

SHOUT_DIFF = """\
--- a/src/shout.py
+++ b/src/shout.py
@@ -1 +1,2 @@
-# shout() goes here
+def shout(text):
+    return text.upper() + "!"
"""


def test_the_harness_commits_in_a_users_hostile_git(
    project: GitProject, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A user with no git identity, gpg signing on and failing global hooks.

    The harness's commits (A, B) and the merge of both for C go through: it commits as
    pytest-agent, without signing, without the user's hooks.
    """
    project.write("src/shout.py", "# shout() goes here\n")
    project.write("tests/test_shout.py",
                  "from src.shout import shout\n\n\ndef test_shout():\n"
                  "    assert shout('a') == 'A!'\n")
    project.write("plans/sprint-12.yaml", MERGE_PLAN)
    project.write(".agent.yml", "max_reflexion_retries: 0\n")
    project.write("conftest.py", textwrap.dedent(f"""\
        def pytest_agent_localize(task, workspace, baseline, settings):
            return (), ""

        def pytest_agent_propose_diff(task, context):
            return {{"A": {GREET_DIFF!r}, "B": {SHOUT_DIFF!r}}}.get(task.id, "")
        """))
    project.commit_all("three tasks")
    hostile = hostile_environment(tmp_path / "home", tmp_path / "hooks")
    hooks = hostile["GIT_CONFIG_VALUE_1"]
    user_config = tmp_path / "user.gitconfig"
    user_config.write_text(f"[commit]\n\tgpgsign = true\n[core]\n\thooksPath = {hooks}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(user_config))
    monkeypatch.setenv("HOME", hostile["HOME"])
    result = project.pytester.runpytest("--agent-all", "-rA")
    result.assert_outcomes(passed=3)
    for branch in ("agent/A", "agent/B"):
        author = git(project.root, "log", "-1", "--format=%an <%ae> %G?", branch).strip()
        assert author == "pytest-agent <pytest-agent@localhost> N"  # N: not signed
    # C's accept tests pass only on a merge of A and B (its proposer proposes nothing).
    tasks = {t.id: t.spec for t in load_plans([project.root / "plans/sprint-12.yaml"])}
    assert (tasks["C"].status.value, tasks["C"].attempts) == ("done", 0)


HANGS = """\
import subprocess
import sys


def test_hangs_in_a_child_process():
    subprocess.run([sys.executable, "-c", CHILD])


def test_after_the_hang():
    pass
"""

CHILD = "import os, time; open({pids!r}, 'w').write(str(os.getpid())); time.sleep(600)"


def test_a_hang_fails_one_test_with_a_traceback(pytester: pytest.Pytester) -> None:
    """The suite's pytest-timeout settings turn a hang into one failed test."""
    ini = tomllib.loads((TESTS.parent / "pyproject.toml").read_text())["tool"]["pytest"]
    options = ini["ini_options"]
    assert "-p timeout" in options["addopts"]
    assert options["timeout"] >= 300  # generous: no test of the suite comes near it
    pids = pytester.path / "child.pid"
    pytester.makepyfile(test_hangs=HANGS.replace(
        "CHILD", repr(CHILD.format(pids=str(pids)))))
    # The suite's method, a short limit for this demonstration.
    result = pytester.runpytest_subprocess(
        "-p", "timeout", "-o", "timeout=3", "-o", f"timeout_method={options['timeout_method']}",
        timeout=120)
    result.assert_outcomes(failed=1, passed=1)
    # The traceback shows where the test hung.
    result.stdout.fnmatch_lines([
        "*def test_hangs_in_a_child_process():", ">       subprocess.run(*", "test_hangs.py:6:*",
        "*Failed: Timeout (>3.0s) from pytest-timeout.*",
    ])
    # The hung child was killed on the way out, not left sleeping.
    child = int(pids.read_text())
    assert not Path(f"/proc/{child}").exists() or " Z " in Path(f"/proc/{child}/stat").read_text()


class TestNoNetwork:
    def test_a_connection_elsewhere_fails_at_once(self) -> None:
        # 192.0.2.1 is TEST-NET-1: nothing answers there; the guard refuses before trying.
        refused = r"does not reach the network: \('192\.0\.2\.1', 80\)"
        with pytest.raises(NetworkRefused, match=refused):
            socket.create_connection(("192.0.2.1", 80), timeout=30)

    def test_this_machine_is_reachable(self) -> None:
        with socket.create_server(("127.0.0.1", 0)) as server:
            port = server.getsockname()[1]
            with socket.create_connection(("127.0.0.1", port), timeout=30):
                pass
            with socket.create_connection(("localhost", port), timeout=30):
                pass
