"""The warm test server: forked runs give the verdicts of fresh processes.

One small project holds the matrix of cases that could tell a forked session from a
fresh one: module-level state, fixtures of every scope in conftests, parametrization,
xfail/skip, import and syntax errors, a hanging test, a test that exits the process,
a test that spawns a child. Each case runs warm (forked from the server) and cold
(a fresh ``python -m pytest``); the outcomes, hangs and exit codes must be equal.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_agent._server import FORCE_COLD_ENV
from pytest_agent._server import TaskTests
from pytest_agent._server import fork_available
from pytest_agent._types import TestRun
from pytest_agent.settings import AgentSettings
from pytest_agent.testrun import run_baseline
from pytest_agent.testrun import run_tests

pytestmark = pytest.mark.skipif(not fork_available(), reason="needs os.fork")

#: Short per-test timeouts keep the hanging case quick.
SETTINGS = AgentSettings(per_test_timeout_max=3.0, per_test_timeout_min=2.0,
                         per_test_timeout_factor=10)

FILES = {
    "lib.py": """\
        def add(a, b):
            return a + b
        """,
    "conftest.py": """\
        import pytest

        CREATED = []

        @pytest.fixture(scope="session")
        def session_thing():
            CREATED.append("session")
            yield "s"

        @pytest.fixture(scope="package")
        def package_thing():
            CREATED.append("package")
            return "p"

        @pytest.fixture(scope="module")
        def module_thing():
            CREATED.append("module")
            return "m"

        @pytest.fixture(scope="class")
        def class_thing():
            CREATED.append("class")
            return "c"

        @pytest.fixture
        def function_thing():
            CREATED.append("function")
            return "f"
        """,
    "tests/__init__.py": "",
    "tests/conftest.py": """\
        import pytest

        @pytest.fixture
        def inner():
            return 42
        """,
    "tests/test_state.py": """\
        from lib import add

        SEEN = []

        def test_first():
            SEEN.append(1)
            assert SEEN == [1]

        def test_second():
            SEEN.append(2)
            assert SEEN == [1, 2]

        def test_add():
            assert add(1, 2) == 3
        """,
    "tests/test_fixtures.py": """\
        import conftest

        class TestScopes:
            def test_one(self, session_thing, package_thing, module_thing, class_thing,
                         function_thing, inner):
                assert inner == 42
                assert conftest.CREATED == ["session", "package", "module", "class",
                                            "function"]

            def test_two(self, session_thing, class_thing, function_thing):
                assert conftest.CREATED.count("session") == 1
                assert conftest.CREATED.count("function") == 2
        """,
    "tests/test_params.py": """\
        import sys

        import pytest

        @pytest.mark.parametrize("n, even", [(2, True), (3, False), (4, False)])
        def test_even(n, even):
            assert (n % 2 == 0) == even

        @pytest.mark.xfail(reason="known", strict=True)
        def test_xfail():
            assert False

        @pytest.mark.xfail(reason="fixed already")
        def test_xpass():
            assert True

        @pytest.mark.skipif(sys.platform != "nothing", reason="never here")
        def test_skipped():
            assert False

        def test_skip_inside():
            pytest.skip("not today")
        """,
    "tests/test_import_error.py": """\
        import not_a_module_anywhere  # noqa: F401

        def test_never():
            pass
        """,
    "tests/test_syntax_error.py": """\
        from broken import value

        def test_value():
            assert value == 1
        """,
    "broken.py": "value = (1\n",
    "tests/test_hang.py": """\
        def test_before():
            pass

        def test_loops():
            while True:
                pass

        def test_after():
            pass
        """,
    "tests/test_spawn.py": """\
        import os
        import subprocess

        def test_spawns_a_sleeper():
            child = subprocess.Popen(["sleep", "300"])
            with open(os.environ["SLEEPER_PID_FILE"], "a") as f:
                f.write(f"{child.pid}\\n")
            assert child.pid > 0
        """,
    "tests/test_exit.py": """\
        import os

        def test_fine():
            pass

        def test_exits():
            os._exit(7)

        def test_never_reached():
            pass
        """,
}

MATRIX = ["tests/test_state.py", "tests/test_fixtures.py", "tests/test_params.py",
          "tests/test_hang.py", "tests/test_spawn.py"]
#: Collection errors interrupt a session: a run of their own.
ERRORS = ["tests/test_import_error.py", "tests/test_syntax_error.py", "tests/test_state.py"]


def verdicts(run: TestRun) -> tuple[dict[str, str], dict[str, str], int, bool]:
    return ({n: o.value for n, o in run.outcomes.items()}, dict(run.hung), run.exit_code,
            run.timed_out)


def write_matrix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project of warm/cold cases (:data:`FILES`) under ``tmp_path/proj``."""
    root = tmp_path / "proj"
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    (root / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    monkeypatch.setenv("SLEEPER_PID_FILE", str(tmp_path / "sleepers.txt"))
    return root


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return write_matrix(tmp_path, monkeypatch)


@pytest.fixture
def tests(project: Path) -> Iterator[TaskTests]:
    session = TaskTests.open(SETTINGS)
    session.attach(project, project, MATRIX)
    try:
        yield session
    finally:
        session.close()


def _alive(pid: int) -> bool:
    try:
        # The state follows the command name in parentheses, which may hold spaces.
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _gone(pid: int) -> bool:
    """Whether ``pid`` ends within a few seconds (a SIGKILL is delivered asynchronously)."""
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _alive(pid)


def test_warm_and_cold_runs_give_the_same_verdicts(project: Path, tests: TaskTests,
                                                   tmp_path: Path) -> None:
    assert tests.server is not None
    warm = run_tests(project, MATRIX, timeout=120, warm=True)
    assert tests.server.runs == 1 and not tests.server.broken
    cold = run_tests(project, MATRIX, timeout=120)
    assert verdicts(warm) == verdicts(cold)
    outcomes = verdicts(warm)[0]
    # The matrix did what it says (a broken fixture would make both sides agree on errors).
    assert outcomes["tests/test_state.py::test_second"] == "passed"
    assert outcomes["tests/test_fixtures.py::TestScopes::test_two"] == "passed"
    assert outcomes["tests/test_params.py::test_even[4-False]"] == "failed"
    assert outcomes["tests/test_params.py::test_xfail"] == "xfailed"
    assert outcomes["tests/test_params.py::test_xpass"] == "xpassed"
    assert outcomes["tests/test_params.py::test_skip_inside"] == "skipped"
    assert outcomes["tests/test_hang.py::test_loops"] == "failed"
    assert outcomes["tests/test_hang.py::test_after"] == "passed"
    assert warm.hung == {
        "tests/test_hang.py::test_loops": "hung in test_loops (tests/test_hang.py:5)"}
    # Module-level state of a forked run does not leak into the next one.
    again = run_tests(project, MATRIX, timeout=120, warm=True)
    assert tests.server.runs == 2
    assert verdicts(again) == verdicts(warm)
    # What a test spawned ends with the warm run.
    pids = [int(p) for p in (tmp_path / "sleepers.txt").read_text().split()]
    assert len(pids) == 3
    with contextlib.suppress(ProcessLookupError):
        os.kill(pids[1], signal.SIGKILL)  # the cold run's: not this module's to judge
    assert _gone(pids[0]) and _gone(pids[2])  # the two warm runs'


def test_import_and_syntax_errors(project: Path, tests: TaskTests) -> None:
    warm = run_tests(project, ERRORS, timeout=120, warm=True)
    cold = run_tests(project, ERRORS, timeout=120)
    assert verdicts(warm) == verdicts(cold)
    assert verdicts(warm)[0] == {"tests/test_import_error.py": "error",
                                 "tests/test_syntax_error.py": "error",
                                 "tests/test_state.py": "missing"}
    assert "SyntaxError" in warm.failures["tests/test_syntax_error.py"]
    assert "not_a_module_anywhere" in warm.failures["tests/test_import_error.py"]


def test_a_test_that_exits_the_process(project: Path, tests: TaskTests) -> None:
    warm = run_tests(project, ["tests/test_exit.py"], timeout=120, warm=True)
    cold = run_tests(project, ["tests/test_exit.py"], timeout=120)
    assert verdicts(warm) == verdicts(cold)
    assert verdicts(warm)[0] == {"tests/test_exit.py::test_fine": "passed"}
    assert verdicts(warm)[2] == 7
    # The server goes on after a child exited mid-session.
    assert run_tests(project, ["tests/test_state.py"], timeout=120, warm=True).passed


def test_edits_are_seen_and_a_changed_conftest_runs_cold(project: Path,
                                                        tests: TaskTests) -> None:
    assert tests.server is not None
    assert run_tests(project, ["tests/test_state.py"], timeout=120, warm=True).passed
    # A change to the project's code: the next forked run imports it afresh.
    (project / "lib.py").write_text("def add(a, b):\n    return a - b\n")
    run = run_tests(project, ["tests/test_state.py"], timeout=120, warm=True)
    assert run.failing == ("tests/test_state.py::test_add",)
    assert tests.server.runs == 2
    # A change to a conftest the server imported: a fresh process runs it.
    conftest = project / "conftest.py"
    conftest.write_text(conftest.read_text() + "\n\n@pytest.fixture\ndef extra():\n    return 1\n")
    (project / "tests" / "test_extra.py").write_text("def test_extra(extra):\n    assert extra\n")
    assert tests.server.stale() == [str(conftest)]
    run = run_tests(project, ["tests/test_extra.py"], timeout=120, warm=True)
    assert run.passed
    assert tests.server.runs == 2  # not forked
    # Back to the content the server imported: forked again.
    conftest.write_text(textwrap.dedent(FILES["conftest.py"]))
    assert run_tests(project, ["tests/test_state.py"], timeout=120, warm=True).failing
    assert tests.server.runs == 3


def test_the_baseline_records_localization_coverage_in_the_same_run(
        project: Path, tests: TaskTests) -> None:
    from pytest_agent.localize._coverage import run_spectrum

    assert tests.server is not None
    (project / "lib.py").write_text("def add(a, b):\n    return a - b\n")
    baseline = run_baseline(project, project, ["tests/test_state.py"], timeout=120)
    assert baseline.failing == ("tests/test_state.py::test_add",)
    spectrum = run_spectrum(project, project, ["tests/test_state.py"], timeout=120,
                            per_test_limit=10)
    assert tests.server.runs == 1  # the spectrum came from the baseline run
    assert spectrum.has_coverage
    assert spectrum.failing == {"tests/test_state.py::test_add"}
    lib = str((project / "lib.py").resolve())
    assert spectrum.coverage[lib]["tests/test_state.py::test_add"] == frozenset({2})


@pytest.mark.parametrize("how", ["setting", "env"])
def test_the_subprocess_fallback_can_be_forced(project: Path, how: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    settings = SETTINGS.model_copy(update={"test_server": "subprocess"}) if how == "setting" \
        else SETTINGS
    if how == "env":
        monkeypatch.setenv(FORCE_COLD_ENV, "1")
    session = TaskTests.open(settings)
    session.attach(project, project, ["tests/test_state.py"])
    try:
        assert session.server is None
        run = run_tests(project, ["tests/test_state.py", "tests/test_hang.py"], timeout=120,
                        warm=True)
    finally:
        session.close()
    assert run.failing == ("tests/test_hang.py::test_loops",)
    assert set(run.hung) == {"tests/test_hang.py::test_loops"}


def test_ordinary_runs_never_import_the_server_or_the_inner_plugins(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text("def test_ok():\n    assert True\n")
    script = textwrap.dedent("""\
        import sys
        import pytest
        code = pytest.main(["-q", "-p", "no:cacheprovider", "test_plain.py"])
        assert code == 0, code
        assert "pytest_agent.plugin" in sys.modules, "plugin not loaded"
        ours = sorted(m for m in sys.modules if m in (
            "pytest_agent._server", "pytest_agent._serve", "pytest_agent._timeout",
            "pytest_agent._collector", "pytest_agent.testrun"))
        print("OURS:", ours)
        """)
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "OURS: []" in proc.stdout


EARLY_CONFTEST = """\
import os

with open(os.environ["IMPORTED_BY"], "a") as f:
    f.write(f"{os.getpid()}\\n")
"""

EARLY_TEST = """\
import os

from lib import add


def test_add():
    with open(os.environ["RAN_IN"], "a") as f:
        f.write(f"{os.getpid()}\\n")
    assert add(2, 2) == 4
"""


@pytest.fixture
def early_project(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (project / "tests" / "conftest.py").write_text(EARLY_CONFTEST)
    (project / "tests" / "test_early.py").write_text(EARLY_TEST)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True, timeout=60)
    subprocess.run(["git", "add", "-A"], cwd=project, check=True, timeout=60)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m",
                    "base"], cwd=project, check=True, timeout=60)
    monkeypatch.setenv("IMPORTED_BY", str(tmp_path / "imported_by.txt"))
    monkeypatch.setenv("RAN_IN", str(tmp_path / "ran_in.txt"))
    return project


def _pids(path: Path) -> list[int]:
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_the_early_fresh_process_runs_the_proof_after_the_change(
        early_project: Path, tmp_path: Path) -> None:
    session = TaskTests.open(SETTINGS)
    session.attach(early_project, early_project, ["tests/test_early.py"])
    try:
        assert session.early is not None
        # The change comes after the process started: it must see it (it imports
        # project code and test modules only after its gate).
        (early_project / "lib.py").write_text("def add(a, b):\n    return a * b\n")
        run = run_tests(early_project, ["tests/test_early.py::test_add"], timeout=120)
    finally:
        session.close()
    assert run.passed  # 2 * 2 == 4: the changed code ran
    ran_in = _pids(tmp_path / "ran_in.txt")
    # The proof ran in the process started early: a fresh interpreter whose conftest
    # import happened before the change (and nowhere else: the server imports no test).
    assert len(ran_in) == 1 and ran_in[0] in _pids(tmp_path / "imported_by.txt")
    assert session.early is None  # used once


def test_the_early_process_is_not_used_when_a_file_it_read_changed(
        early_project: Path, tmp_path: Path) -> None:
    session = TaskTests.open(SETTINGS)
    session.attach(early_project, early_project, ["tests/test_early.py"])
    try:
        conftest = early_project / "tests" / "conftest.py"
        conftest.write_text(EARLY_CONFTEST + "\nimport pytest\n\n@pytest.fixture\n"
                            "def extra():\n    return 1\n")
        (early_project / "tests" / "test_extra.py").write_text(
            "def test_extra(extra):\n    assert extra == 1\n")
        run = run_tests(early_project, ["tests/test_extra.py::test_extra"], timeout=120)
    finally:
        session.close()
    assert run.passed  # the new fixture was seen: a process started after the change


def test_the_offline_engine_validates_its_candidates_on_the_task_server(
        project: Path, tests: TaskTests) -> None:
    from pytest_agent._types import Context
    from pytest_agent._types import Task
    from pytest_agent._types import Workspace
    from pytest_agent.engines.offline._engine import propose

    assert tests.server is not None
    (project / "lib.py").write_text("def add(a, b):\n    return a - b\n")
    task = Task(id="T-1", description="add adds", accept_tests=("tests/test_state.py::test_add",))
    ws = Workspace(root=project, branch="agent/T-1", base_commit="0" * 40, repo_root=project)
    baseline = run_baseline(project, project, ["tests/test_state.py"], timeout=120)
    context = Context(task=task, workspace=ws, attempt=1, baseline=baseline)
    settings = SETTINGS.model_copy(update={"offline_workers": 1, "offline_time_budget": 60})
    proposal = propose(task, context, ws, settings)
    assert "+    return a + b" in proposal.diff
    assert "validators: 1 fork of the task's test server" in proposal.notes
    # Validation never wrote the worktree.
    assert (project / "lib.py").read_text() == "def add(a, b):\n    return a - b\n"
