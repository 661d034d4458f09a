"""What an agent run's outer process loads (#13: the start-up cost of a task)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import GREET_DIFF
from conftest import GitProject

ROOT_CONFTEST = f"""\
GREET_DIFF = {GREET_DIFF!r}


def pytest_agent_propose_diff(task, context):
    return GREET_DIFF
"""

#: A tests/conftest.py that says which process imported it.
TESTS_CONFTEST = """\
import argparse
import os
import sys

with open({log!r}, "a") as log:
    log.write(f"{{os.getpid()}}\\n")
"""


@pytest.mark.parametrize("ini_extra", ["", "testpaths = tests\n"], ids=["no-args", "testpaths"])
def test_agent_run_loads_the_plan_conftests_not_the_tests(
    project: GitProject, ini_extra: str
) -> None:
    """The outer process collects only plan files: the root conftest.py (the proposer)
    is loaded, tests/conftest.py is not; the inner runs, which run the tests, load it."""
    log = project.root.parent / f"{project.root.name}-imports.log"
    project.write("conftest.py", ROOT_CONFTEST)
    project.write("tests/conftest.py", TESTS_CONFTEST.format(log=str(log)))
    project.write("pytest.ini", "[pytest]\npythonpath = .\n" + ini_extra)
    project.commit_all("conftests")
    result = project.pytester.runpytest("--agent-run", "T-101")
    result.assert_outcomes(passed=1)
    importers = log.read_text().split()
    assert str(os.getpid()) not in importers  # pytester runs the outer session in-process
    assert importers, "the inner runs did not load tests/conftest.py"


def test_ordinary_run_still_loads_test_dir_conftests(project: GitProject) -> None:
    """Without an agent option pytest's own choice of initial conftests stands."""
    log = project.root.parent / f"{project.root.name}-imports.log"
    project.write("tests/conftest.py", TESTS_CONFTEST.format(log=str(log)))
    project.write("tests/test_other.py", "def test_ok():\n    pass\n")
    project.commit_all("conftests")
    result = project.pytester.runpytest("tests/test_other.py")
    result.assert_outcomes(passed=1)
    assert log.read_text().split() == [str(os.getpid())]


def test_agent_run_with_an_invalid_setting_still_reports_it(project: GitProject) -> None:
    """The early look at the settings (for the plan path) leaves the error to the session."""
    project.write(".agent.yml", textwrap.dedent("""\
        max_reflexion_retries: -1
        """))
    project.commit_all("bad setting")
    result = project.pytester.runpytest("--agent-run", "T-101")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*max_reflexion_retries*"])


SPARE_PROBE = f"""\
import argparse
import os
import sys

from pytest_agent._server import task_tests_for
from pytest_agent._spare import _spare_key

GREET_DIFF = {GREET_DIFF!r}


def _log(line):
    with open(os.environ["SPARE_LOG"], "a") as log:
        log.write(line + "\\n")


def pytest_configure(config):
    spare = config.stash.get(_spare_key, None)
    _log(f"spare {{spare.proc.pid if spare is not None and spare.proc else None}}")


def pytest_agent_task_start(task, workspace):
    tests = task_tests_for(workspace.test_root)
    server = tests.server if tests is not None else None
    _log(f"task {{server.proc.pid if server is not None and server.proc else None}}")


def pytest_agent_propose_diff(task, context):
    return GREET_DIFF
"""


def _spare_log(project: GitProject, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = project.root.parent / f"{project.root.name}-spare.log"
    monkeypatch.setenv("SPARE_LOG", str(log))
    project.write("conftest.py", SPARE_PROBE)
    return log


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


class TestSpareServer:
    def test_the_first_task_runs_on_the_server_started_early(
        self, project: GitProject, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        log = _spare_log(project, monkeypatch)
        project.commit_all("probe")
        result = project.pytester.runpytest("--agent-run", "T-101")
        result.assert_outcomes(passed=1)
        spare, task = log.read_text().split("\n")[:2]
        assert spare.startswith("spare ") and spare != "spare None"
        assert task == "task " + spare.removeprefix("spare ")
        assert _gone(int(spare.split()[1]))

    def test_no_spare_without_fork(
        self, project: GitProject, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        log = _spare_log(project, monkeypatch)
        project.commit_all("probe")
        monkeypatch.setenv("AGENT_TEST_SERVER", "subprocess")
        result = project.pytester.runpytest("--agent-run", "T-101")
        result.assert_outcomes(passed=1)
        assert log.read_text().split("\n")[:2] == ["spare None", "task None"]

    @pytest.mark.parametrize("agent_yml", ["test_server: subprocess\n",
                                           "test_server:\n  subprocess\n"])
    def test_a_spare_the_settings_refuse_is_stopped(
        self, project: GitProject, monkeypatch: pytest.MonkeyPatch, agent_yml: str
    ) -> None:
        """``.agent.yml``'s one-line ``test_server`` is read before a spare would start;
        written another way, the spare started on a guess is stopped as soon as the
        settings load, before the session is configured. The task runs every inner run
        in a fresh process, as configured."""
        log = _spare_log(project, monkeypatch)
        project.write(".agent.yml", agent_yml)
        project.commit_all("probe")
        result = project.pytester.runpytest("--agent-run", "T-101")
        result.assert_outcomes(passed=1)
        assert log.read_text().split("\n")[:2] == ["spare None", "task None"]

    def test_an_unused_spare_is_stopped(
        self, project: GitProject, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        log = _spare_log(project, monkeypatch)
        project.commit_all("probe")
        result = project.pytester.runpytest("--agent-run", "T-101", "--collect-only")
        assert result.ret == 0
        assert log.read_text().split("\n")[0] == "spare None"
        # A task that never starts (its dependency is not done) leaves the spare unused.
        plan = project.plan_text().replace("  - id: T-101\n",
                                           "  - id: T-100\n    description: first\n"
                                           "    accept_tests: [tests/test_hello.py]\n"
                                           "  - id: T-101\n    depends_on: [T-100]\n")
        project.write("plans/sprint-12.yaml", plan)
        project.commit_all("dependency")
        log.unlink()
        result = project.pytester.runpytest("--agent-run", "T-101")
        result.assert_outcomes(skipped=1)
        spare = log.read_text().split("\n")[0]
        assert spare != "spare None"
        assert _gone(int(spare.split()[1]))


NEXT_SPARE_PROBE = f"""\
import os
import sys

from pytest_agent._server import task_tests_for
from pytest_agent._spare import _spare_key

GREET_DIFF = {GREET_DIFF!r}
CONFIG = []


def _log(line):
    with open(os.environ["SPARE_LOG"], "a") as log:
        log.write(line + "\\n")


def pytest_configure(config):
    CONFIG.append(config)


def pytest_agent_task_start(task, workspace):
    server = task_tests_for(workspace.test_root).server
    spare = CONFIG[0].stash.get(_spare_key, None)
    _log(f"{{task.id}} runs on {{server.proc.pid}}, spare {{spare.proc.pid if spare else None}}")


def pytest_agent_propose_diff(task, context):
    return GREET_DIFF
"""


def test_a_task_starts_the_next_tasks_server(
    project: GitProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With another task to run in this process, the task that takes the spare starts the
    next one, and the next task runs on it; the last task starts none."""
    log = project.root.parent / f"{project.root.name}-spare.log"
    monkeypatch.setenv("SPARE_LOG", str(log))
    project.write("conftest.py", NEXT_SPARE_PROBE)
    second = project.plan_text().split("tasks:\n", 1)[1].replace("T-101", "T-102")
    project.write("plans/sprint-12.yaml", project.plan_text() + second)
    project.commit_all("two tasks")
    result = project.pytester.runpytest("--agent-all")
    result.assert_outcomes(passed=2)
    first, last = log.read_text().splitlines()
    assert first.startswith("T-101 runs on ")
    spare = first.split("spare ")[1]
    assert spare != "None"
    assert last == f"T-102 runs on {spare}, spare None"


@pytest.mark.parametrize(("options", "env", "runs"), [
    ({}, {}, True),
    ({"numprocesses": 2}, {}, False),
    ({"numprocesses": "auto"}, {}, False),
    ({"numprocesses": 0}, {}, True),
    ({"numprocesses": 2}, {"PYTEST_XDIST_WORKER": "gw0"}, True),
    ({"collectonly": True}, {}, False),
])
def test_where_tasks_run(options: dict[str, object], env: dict[str, str], runs: bool,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_agent._spare import _runs_tasks_here

    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert _runs_tasks_here(argparse.Namespace(**options)) is runs


FREEZE_PROBE = f"""\
import gc

GREET_DIFF = {GREET_DIFF!r}


def pytest_unconfigure(config):
    print("FROZEN", gc.get_freeze_count() > 0)


def pytest_agent_propose_diff(task, context):
    return GREET_DIFF
"""


def test_agent_runs_freeze_the_start_up_heap_ordinary_runs_do_not(project: GitProject) -> None:
    """An agent run's imports are kept out of the cyclic collector (pytest collects five
    times at the end of a session); an ordinary run's heap is left alone."""
    project.write("conftest.py", FREEZE_PROBE)
    project.commit_all("probe")
    agent = project.pytester.runpytest_subprocess("--agent-run", "T-101", "-s")
    agent.assert_outcomes(passed=1)
    agent.stdout.fnmatch_lines(["*FROZEN True*"])
    plain = project.pytester.runpytest_subprocess("tests", "-s")
    plain.stdout.fnmatch_lines(["*FROZEN False*"])


def test_the_heap_is_unfrozen_when_the_session_ends(project: GitProject) -> None:
    """In-process sessions (pytester's) leave the collector as they found it: after
    pytest's end-of-session check the frozen objects are collectable again."""
    project.write("conftest.py", FREEZE_PROBE)
    project.commit_all("probe")
    script = textwrap.dedent("""\
        import gc
        import pytest
        code = pytest.main(["-q", "-p", "no:cacheprovider", "--agent-run", "T-101"])
        print("CODE", int(code), "FROZEN AFTER", gc.get_freeze_count())
        """)
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    proc = subprocess.run([sys.executable, "-c", script], cwd=project.root, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert "FROZEN True" in proc.stdout, proc.stdout + proc.stderr
    assert "CODE 0 FROZEN AFTER 0" in proc.stdout, proc.stdout + proc.stderr


def test_a_plan_of_twenty_tasks_is_edited_block_wise_with_the_same_result(
    tmp_path: Path,
) -> None:
    """Write-back parses only the task's block once a plan passes 1 kB (the whole plan
    cost ~0.18 s of CPU per write at 20 tasks); the text it writes is the same."""
    from pytest_agent import writeback

    text = "# sprint\ntasks:\n" + "".join(
        f"  - id: T-{n:02d}   # task {n}\n    description: \"value of m{n}: {n}\"\n"
        f"    accept_tests: [tests/test_m{n}.py::test_value]\n"
        "    status: pending\n    attempts: 0\n\n" for n in range(20))
    fields = {"status": "done", "attempts": 1, "branch": "agent/T-07", "last_error": None,
              "updated_at": "2026-11-30T10:00:00Z", "engine": "plugin"}
    for n in (0, 7, 19):
        assert writeback._task_block(text, f"T-{n:02d}") is not None
        edited = writeback.edit_plan_text(tmp_path / "p.yaml", text, f"T-{n:02d}", fields)
        assert edited == writeback._edit_whole(tmp_path / "p.yaml", text, f"T-{n:02d}", fields)
        assert edited != text


def test_lint_runs_the_ruff_installed_with_the_interpreter_not_a_path_shim(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shim first on PATH (pyenv's cost ~0.4 s of bash per lint) is not what runs."""
    from pytest_agent._lintdiff import lint_files
    from pytest_agent.settings import AgentSettings

    if not (Path(sys.executable).parent / "ruff").is_file():
        pytest.skip("no ruff script next to this interpreter")
    shims = tmp_path / "shims"
    shims.mkdir()
    called = tmp_path / "shim-called"
    shim = shims / "ruff"
    shim.write_text(f"#!/bin/sh\ntouch {called}\nexit 3\n")
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shims}{os.pathsep}{os.environ['PATH']}")
    (tmp_path / "bad.py").write_text("import os\n")
    findings, _ = lint_files(tmp_path, ["bad.py"], AgentSettings())
    assert findings is not None
    assert [f.code for f in findings] == ["F401"]
    assert not called.exists()
