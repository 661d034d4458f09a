"""Configured secrets never leave the run: memory, plan, terminal and reports.

The secrets are the run's API key (``AGENT_API_KEY``), shaped like no known key, and
the password and query of its endpoint's URL (``AGENT_BASE_URL``): no regex of
:func:`pytest_agent.memory.redact` can catch them, only the run's own list of secrets
can. One real run (a subprocess) puts them everywhere a task's texts go: the proposal's
notes and diff, the accept test's failure message, a stop reason that becomes the
task's error. Each test then scans one place for them, and checks that the place did
receive the text they were in (redacted), so an empty file cannot pass."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import WRONG_GREET_DIFF
from conftest import git

from pytest_agent.memory import redact

#: Every test reads the one agent run of ``run``: one xdist worker makes it once.
pytestmark = pytest.mark.xdist_group("redaction-agent-run")

#: No key shape (``sk-``, ``Bearer``, ``ghp_``): only the configured list redacts it.
SECRET = "tangerine-Horse-7731"
#: Credentials in the configured endpoint's URL: its password and its query.
PASSWORD = "walnut-Pass-2208"
QUERY = "token=quince-Query-5150"
BASE_URL = f"http://agent:{PASSWORD}@127.0.0.1:9/v1?{QUERY}"
SECRETS = (SECRET, PASSWORD, QUERY)
REDACTED = "[REDACTED]"

PLAN = """\
# the plan's own comment
tasks:
  - id: T-1
    description: greet
    accept_tests: [tests/test_hello.py::test_greet]
  - id: T-2
    description: greet again
    accept_tests: [tests/test_hello.py::test_greet]
"""

TEST_HELLO = """\
import os

from src.hello import greet


def test_greet():
    # The failure message carries the secrets (the inner run inherits the variables).
    assert greet("Ada") == "Hello, Ada!", (
        "key in use: " + os.environ["AGENT_API_KEY"] + " at " + os.environ["AGENT_BASE_URL"])
"""

WRONG_WITH_SECRET = WRONG_GREET_DIFF.replace(
    "+def greet(name):\n", "+def greet(name):\n+    # {SECRET}\n").replace(
    "@@ -1,2 +1,6 @@", "@@ -1,2 +1,7 @@")

CONFTEST = f"""\
import os

from pytest_agent import Proposal

SECRET = os.environ["AGENT_API_KEY"]


def pytest_agent_localize(task, workspace, baseline, settings):
    return (), ""


def pytest_agent_propose_diff(task, context):
    if task.id == "T-1":
        diff = {WRONG_WITH_SECRET!r}.replace("{{SECRET}}", SECRET)
        return Proposal(diff=diff, notes="notes with " + SECRET, engine="scripted")
    return Proposal(diff="", stop_reason="the model echoed " + SECRET, engine="scripted")
"""


def leaked(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


@dataclass
class Run:
    root: Path
    terminal: str

    def text(self, rel: str) -> str:
        return (self.root / rel).read_text(encoding="utf-8")

    def tree(self, rel: str) -> dict[str, str]:
        return {p.relative_to(self.root).as_posix(): p.read_text(encoding="utf-8")
                for p in sorted((self.root / rel).rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("redaction")
    files = {
        "src/__init__.py": "",
        "src/hello.py": "def other():\n    return 1\n",
        "tests/test_hello.py": TEST_HELLO,
        "plans/sprint.yaml": PLAN,
        "pytest.ini": "[pytest]\npythonpath = .\n",
        ".agent.yml": "max_reflexion_retries: 0\nlint_command: []\n",
        "conftest.py": CONFTEST,
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    env = {**os.environ, "AGENT_API_KEY": SECRET, "AGENT_BASE_URL": BASE_URL,
           "GITHUB_STEP_SUMMARY": str(root / "out" / "summary.md")}
    # --agent-engine=offline: the key is there to be redacted, not to reach a model.
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--agent-all", "--agent-engine=offline", "-v",
         "-p", "no:cacheprovider", "--junitxml=out/junit.xml", "--agent-report=out/report.html"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False)
    terminal = proc.stdout + proc.stderr
    assert "2 failed" in terminal, terminal
    return Run(root, terminal)


def test_not_in_memory(run: Run) -> None:
    memory = run.tree("memory")
    assert memory, "the run wrote no memory"
    leaking = [rel for rel, text in memory.items() if leaked(text)]
    assert leaking == []
    t1 = "".join(text for rel, text in memory.items() if "T-1" in rel)
    assert f"notes with {REDACTED}" in t1  # the thought
    assert f"+    # {REDACTED}" in t1  # the diff
    assert f"key in use: {REDACTED} at http://agent:{REDACTED}@127.0.0.1:9/v1?{REDACTED}" in t1


def test_not_in_the_plan(run: Run) -> None:
    text = run.text("plans/sprint.yaml")
    assert leaked(text) == []
    assert f'last_error: "the model echoed {REDACTED}"' in text


def test_not_on_the_terminal(run: Run) -> None:
    assert leaked(run.terminal) == []
    assert f"the model echoed {REDACTED}" in run.terminal  # T-2's error
    assert f"key in use: {REDACTED} at http://agent:{REDACTED}@" in run.terminal  # T-1's


def test_not_in_the_reports(run: Run) -> None:
    page = run.text("out/report.html")
    assert leaked(page) == []
    assert f"notes with {REDACTED}" in page
    assert f"key in use: {REDACTED}" in page
    summary = run.text("out/summary.md")
    assert leaked(summary) == []
    assert f"the model echoed {REDACTED}" in summary
    junit = run.text("out/junit.xml")
    assert leaked(junit) == []
    assert f"the model echoed {REDACTED}" in junit


def test_not_in_the_repository(run: Run) -> None:
    # Failed tasks leave no branch; nothing of the run was committed anywhere.
    assert git(run.root, "branch", "--format=%(refname:short)").split() == ["main"]
    assert leaked(git(run.root, "log", "--all", "-p")) == []


class TestRedact:
    def test_every_occurrence_of_a_configured_secret(self) -> None:
        text = f"a {SECRET} b {SECRET}{SECRET}"
        assert redact(text, [SECRET]) == f"a {REDACTED} b {REDACTED}{REDACTED}"

    def test_secrets_are_literal_text(self) -> None:
        assert redact("x a.b*c y", ["a.b*c"]) == f"x {REDACTED} y"
        assert redact("x aXb*c y", ["a.b*c"]) == "x aXb*c y"

    def test_several_secrets(self) -> None:
        assert redact("first two third", ["first", "third"]) == f"{REDACTED} two {REDACTED}"

    def test_a_secret_inside_another_leaves_nothing_of_it(self) -> None:
        # The API key is also the start of the URL's query, say: in either order,
        # nothing of the longer one is left.
        for secrets in (["walnut-1", "walnut-1-tail"], ["walnut-1-tail", "walnut-1"]):
            assert redact("x walnut-1-tail y walnut-1", secrets) == (
                f"x {REDACTED} y {REDACTED}")

    def test_key_shapes_without_configuration(self) -> None:
        for key in ("sk-abcdefghijklmnop0123", "sk-proj-abc_def-0123456789",
                    "ghp_abcdefghijklmnopqrstu123"):
            assert redact(f"key={key};", []) == f"key={REDACTED};"
        assert redact("Authorization: Bearer abcdefghijklmnop.qrs", []) == (
            f"Authorization: {REDACTED}")

    def test_short_and_empty_secrets_are_ignored(self) -> None:
        # A secret under four characters would blank ordinary words everywhere.
        assert redact("abc and abcd", ["", "abc"]) == "abc and abcd"
        assert redact("abc and abcd", ["abcd"]) == f"abc and {REDACTED}"

    def test_text_without_secrets_is_unchanged(self) -> None:
        text = "sk-short Bearer x ghp_1 plain text"
        assert redact(text, [SECRET]) == text
