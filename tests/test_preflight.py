"""Preflight: a cause no change can fix stops the task before any search, in one line."""

from __future__ import annotations

import textwrap

import pytest
from conftest import GREET_DIFF
from conftest import GitProject
from conftest import git

from pytest_agent.plan import load_plans

PROPOSER = textwrap.dedent(f"""\
    from pathlib import Path

    GREET_DIFF = {GREET_DIFF!r}

    def pytest_agent_propose_diff(task, context):
        Path(__file__).with_name("proposed.txt").write_text("called")
        return GREET_DIFF
    """)


def run_task(project: GitProject, accept: str, test_file: str | None = None) -> str:
    project.write("conftest.py", PROPOSER)
    if test_file is not None:
        project.write("tests/test_hello.py", test_file)
    project.write("plans/sprint-12.yaml", textwrap.dedent(f"""\
        tasks:
          - id: T-101
            description: add greet
            accept_tests: ["{accept}"]
        """))
    project.commit_all("task")
    result = project.pytester.runpytest("--agent-all")
    result.assert_outcomes(failed=1)
    assert not (project.root / "proposed.txt").exists(), "the search ran"
    out = result.stdout.str()
    assert "configure a proposer" not in out
    spec = load_plans([project.root / "plans/sprint-12.yaml"])[0].spec
    assert spec.status.value == "failed" and spec.last_error
    assert "\n" not in spec.last_error
    assert project.branches() == ["main"]
    return spec.last_error


def test_a_test_id_that_does_not_exist(project: GitProject) -> None:
    error = run_task(project, "tests/test_hello.py::test_nope", textwrap.dedent("""\
        def test_greet():
            from src.hello import greet
            assert greet("Ada") == "Hello, Ada!"
        """))
    assert error.startswith("accept test tests/test_hello.py::test_nope does not exist "
                            "(no such test in its file)")


def test_a_test_file_that_does_not_exist(project: GitProject) -> None:
    error = run_task(project, "tests/test_gone.py::test_greet")
    assert "accept test tests/test_gone.py::test_greet does not exist (its file does not " \
           "exist)" in error


def test_a_test_that_calls_os_exit(project: GitProject) -> None:
    error = run_task(project, "tests/test_hello.py::test_greet", textwrap.dedent("""\
        import os


        def test_greet():
            os._exit(3)
        """))
    assert "the test run of tests/test_hello.py::test_greet exited with status 3" in error


def test_a_test_run_killed_by_a_signal(project: GitProject) -> None:
    error = run_task(project, "tests/test_hello.py::test_greet", textwrap.dedent("""\
        import os
        import signal


        def test_greet():
            os.kill(os.getpid(), signal.SIGKILL)
        """))
    assert "the test run of tests/test_hello.py::test_greet was killed by signal 9" in error


def test_an_accept_test_file_with_a_syntax_error(project: GitProject) -> None:
    error = run_task(project, "tests/test_hello.py::test_greet", "def test_greet(:\n    pass\n")
    assert error.startswith("accept test file tests/test_hello.py cannot be collected: "
                            "SyntaxError")


@pytest.mark.parametrize("body", [
    # The seed's case: the import fails because greet does not exist yet. That is the task.
    "from src.hello import greet\n\n\ndef test_greet():\n    assert greet('Ada') == "
    "'Hello, Ada!'\n",
])
def test_a_collection_error_the_change_can_fix_is_not_a_stop(
    project: GitProject, body: str
) -> None:
    project.write("conftest.py", PROPOSER)
    project.write("tests/test_hello.py", body)
    project.commit_all("task")
    project.pytester.runpytest("--agent-all").assert_outcomes(passed=1)
    assert (project.root / "proposed.txt").exists()


def test_a_submodule_missing_from_the_worktree(project: GitProject) -> None:
    lib = project.root.parent / f"{project.root.name}-lib"
    lib.mkdir()
    git(lib, "init", "-q", "-b", "main")
    (lib / "greeting.py").write_text("WORD = 'Hello'\n")
    git(lib, "add", "-A")
    git(lib, "commit", "-q", "-m", "lib")
    git(project.root, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib),
        "vendor")
    error = run_task(project, "tests/test_hello.py::test_greet", textwrap.dedent("""\
        import sys
        sys.path.insert(0, "vendor")


        def test_greet():
            from greeting import WORD
            from src.hello import greet
            assert greet("Ada") == f"{WORD}, Ada!"
        """))
    assert error.startswith("the git submodule vendor is empty in the task's worktree")
