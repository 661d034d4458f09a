"""Forked sessions reuse the server's conftest modules and still behave as fresh ones.

pytest executes a conftest outside a package afresh in every new config; a run forked
from the warm server takes the module the server imported instead (keyed by resolved
path, while it and what it imported from the project are unchanged). These cases
check that nothing a test can see tells the two apart: module-level state mutated by
tests, fixtures of every scope, a conftest in a subdirectory (two modules both named
``conftest``), ``pytest_addoption`` and ``pytest_configure`` (which run per config),
and an edit of a conftest or of what it imports (a fresh import, never the old module).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from collections.abc import Sequence
from pathlib import Path

import pytest

from pytest_agent._server import TaskTests
from pytest_agent._server import fork_available
from pytest_agent._types import TestRun
from pytest_agent.settings import AgentSettings
from pytest_agent.testrun import run_tests

pytestmark = pytest.mark.skipif(not fork_available(), reason="needs os.fork")

SETTINGS = AgentSettings(per_test_timeout_max=5.0, per_test_timeout_min=2.0)

ROOT_CONFTEST = """\
    import os

    import pytest

    from helpers import GREETING

    with open(os.environ["IMPORTED_BY"], "a") as f:
        f.write(f"root {os.getpid()}\\n")

    STATE = []
    CREATED = []
    CONFIGURED = []


    def pytest_addoption(parser):
        parser.addoption("--flavour", default="plain")


    def pytest_configure(config):
        config.addinivalue_line("markers", "tasty: registered by the root conftest")
        CONFIGURED.append(os.getpid())


    @pytest.fixture
    def state():
        return STATE


    @pytest.fixture
    def greeting():
        return GREETING


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


    @pytest.fixture
    def created():
        return CREATED


    @pytest.fixture
    def configured():
        return CONFIGURED
    """

SUB_CONFTEST = """\
    import os

    import pytest

    with open(os.environ["IMPORTED_BY"], "a") as f:
        f.write(f"sub {os.getpid()}\\n")

    SUB_STATE = []


    @pytest.fixture
    def sub_state():
        SUB_STATE.append(len(SUB_STATE))
        return SUB_STATE
    """

FILES = {
    "helpers.py": 'GREETING = "hello"\n',
    "conftest.py": ROOT_CONFTEST,
    "tests/test_conf.py": """\
        import os

        import pytest


        def test_ran_here():
            with open(os.environ["RAN_IN"], "a") as f:
                f.write(f"{os.getpid()}\\n")


        def test_state_as_imported(state):
            state.append("a")
            assert state == ["a"]


        def test_state_mutated_by_the_test_before(state):
            state.append("b")
            assert state == ["a", "b"]


        def test_addoption_and_configure_ran_in_this_config(request, configured):
            assert request.config.getoption("--flavour") == "plain"
            assert configured == [os.getpid()]


        @pytest.mark.tasty
        def test_marker_registered_by_configure():
            pass


        def test_what_the_conftest_imported(greeting):
            assert greeting == "hello"


        class TestScopes:
            def test_one(self, session_thing, package_thing, module_thing, class_thing,
                         function_thing, created):
                assert created == ["session", "package", "module", "class", "function"]

            def test_two(self, session_thing, class_thing, function_thing, created):
                assert created.count("session") == 1
                assert created.count("function") == 2
        """,
    "sub/test_sub.py": """\
        import sys


        def test_sub_state_as_imported(sub_state, state):
            assert sub_state == [0]
            assert state == ["a", "b"]  # the same conftest module as test_conf.py's


        def test_sub_state_grows(sub_state):
            assert sub_state == [0, 1]


        def test_the_last_conftest_imported_is_sys_modules_conftest():
            assert hasattr(sys.modules["conftest"], "SUB_STATE")
        """,
    "sub/conftest.py": SUB_CONFTEST,
}

#: The order matters: the root conftest is imported first, then sub's.
TESTS = ["tests/test_conf.py", "sub/test_sub.py"]
ARGS = ["--strict-markers", *TESTS]


def verdicts(run: TestRun) -> tuple[dict[str, str], int]:
    return {n: o.value for n, o in run.outcomes.items()}, run.exit_code


def make_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ini: str = "") -> Path:
    root = tmp_path / "proj"
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    (root / "pytest.ini").write_text(f"[pytest]\npythonpath = .\n{ini}")
    monkeypatch.setenv("IMPORTED_BY", str(tmp_path / "imported_by.txt"))
    monkeypatch.setenv("RAN_IN", str(tmp_path / "ran_in.txt"))
    return root


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_project(tmp_path, monkeypatch)


def open_tests(project: Path) -> TaskTests:
    session = TaskTests.open(SETTINGS)
    session.attach(project, project, ARGS)
    return session


@pytest.fixture
def tests(project: Path) -> Iterator[TaskTests]:
    session = open_tests(project)
    try:
        yield session
    finally:
        session.close()


@pytest.mark.parametrize("ini", [False, True])
def test_importlib_mode_and_ini_addopts_give_the_verdicts_of_fresh_runs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ini: bool) -> None:
    # importlib: the root conftest is "conftest", sub's "sub.conftest" (modules are named
    # by the mode they were imported in). ``ini``: the mode in the ini's addopts, which
    # inner runs ignore ("-o addopts="): the server imports the conftests as the runs do,
    # in prepend mode. (append mode cannot import this project: sub's conftest would be
    # found as the root's "conftest", in a fresh process as in the server.)
    flag = "--import-mode=importlib"
    root = make_project(tmp_path, monkeypatch, f"addopts = {flag}\n" if ini else "")
    args = [] if ini else [flag]
    session = TaskTests.open(SETTINGS)
    session.attach(root, root, [*args, *ARGS])
    try:
        warm, again = _run(root, warm=True, args=args), _run(root, warm=True, args=args)
        assert session.server is not None and session.server.runs == 2
        server = session.server.proc.pid if session.server.proc else -1
        early = session.early.proc.pid if session.early and session.early.proc else None
        imported = [line.split() for line in _lines(tmp_path / "imported_by.txt")]
        # Only the server imported them (and the early-started process, which is cold).
        assert sorted(name for name, pid in imported if int(pid) == server) == ["root", "sub"]
        assert {int(pid) for _, pid in imported} <= {server, early}
    finally:
        session.close()
    cold = _run(root, warm=False, args=args)
    assert verdicts(warm) == verdicts(cold) == verdicts(again)
    assert len(warm.outcomes) == 11


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _run(project: Path, *, warm: bool, args: Sequence[str] = ()) -> TestRun:
    # "--strict-markers" keeps the run off the early-started process: every cold run
    # here is a new process, started after the edits the test made.
    return run_tests(project, TESTS, extra_args=["--strict-markers", *args], timeout=120,
                     warm=warm)


def test_forked_sessions_reuse_the_conftests_and_give_the_verdicts_of_fresh_ones(
        project: Path, tests: TaskTests, tmp_path: Path) -> None:
    server = tests.server
    assert server is not None and server.proc is not None
    imported_by, ran_in = tmp_path / "imported_by.txt", tmp_path / "ran_in.txt"
    warm = _run(project, warm=True)
    assert server.runs == 1 and not server.broken
    # Both conftests were pinned, also the root one that pytest no longer keeps in
    # sys.modules (sub's, imported after it, took the name "conftest").
    assert {str(project / "conftest.py"), str(project / "sub" / "conftest.py"),
            str(project / "helpers.py")} <= set(server.pinned)
    again = _run(project, warm=True)
    assert server.runs == 2
    # The forked sessions executed no conftest: only the server (and the proof's process
    # started early, which is cold) imported them, each once.
    early = tests.early.proc.pid if tests.early and tests.early.proc else None
    imported = [(name, int(pid)) for name, pid in map(str.split, _lines(imported_by))]
    assert {pid for _, pid in imported} - {early} == {server.proc.pid}
    assert sorted(name for name, pid in imported if pid == server.proc.pid) == ["root", "sub"]
    cold = _run(project, warm=False)
    assert verdicts(warm) == verdicts(cold) == verdicts(again)
    assert warm.passed and len(warm.outcomes) == 11
    # No test ran in the server's own process, and each run was a process of its own.
    ran = [int(p) for p in _lines(ran_in)]
    assert len(set(ran)) == 3 and server.proc.pid not in ran
    # The cold run imported each conftest itself.
    assert sorted(name for name, pid in map(str.split, _lines(imported_by))
                  if int(pid) == ran[2]) == ["root", "sub"]


@pytest.mark.parametrize("edited", ["conftest.py", "helpers.py", "sub/conftest.py"])
def test_an_edited_conftest_or_what_it_imports_is_imported_afresh(
        project: Path, tests: TaskTests, edited: str) -> None:
    server = tests.server
    assert server is not None
    assert _run(project, warm=True).passed
    path = project / edited
    original = path.read_text()
    if edited == "conftest.py":  # the conftest pytest no longer keeps in sys.modules
        path.write_text(original.replace('default="plain"', 'default="spicy"'))
        failing = ("tests/test_conf.py::test_addoption_and_configure_ran_in_this_config",)
    elif edited == "helpers.py":  # a project module the conftest imports
        path.write_text('GREETING = "bye"\n')
        failing = ("tests/test_conf.py::test_what_the_conftest_imported",)
    else:
        path.write_text(original.replace("SUB_STATE = []", "SUB_STATE = [9]"))
        failing = ("sub/test_sub.py::test_sub_state_as_imported",
                   "sub/test_sub.py::test_sub_state_grows")
    assert server.stale() == [str(path)]
    edited_run = _run(project, warm=True)
    assert server.runs == 1  # a fresh process ran it
    assert edited_run.failing == failing
    assert verdicts(edited_run) == verdicts(_run(project, warm=False))
    # Back to what the server imported: forked again, with the server's modules.
    path.write_text(original)
    assert _run(project, warm=True).passed
    assert server.runs == 2


def test_an_offline_candidate_that_edits_the_conftest_sees_its_edit(project: Path) -> None:
    from pytest_agent.engines.offline._pool import open_pool

    conftest = (project / "conftest.py").read_text()
    spicy = conftest.replace('default="plain"', 'default="spicy"')
    args = ["-q", "--tb=no", "-p", "no:cacheprovider", *ARGS]
    with open_pool(project, project, 1, mutable=["conftest.py"], tests=TESTS) as pool:
        assert pool.forked, pool.fallback
        oks = [pool.run({"conftest.py": text}, args, 20).ok for text in (spicy, conftest, spicy)]
        assert oks == [False, True, False]


def test_offline_candidates_reuse_the_conftests(project: Path, tmp_path: Path) -> None:
    from pytest_agent.engines.offline._pool import open_pool

    imported_by = tmp_path / "imported_by.txt"
    wrong = 'GREETING = "bye"\n'
    args = ["-q", "--tb=no", "-p", "no:cacheprovider", "tests/test_conf.py"]
    (project / "tests" / "test_conf.py").write_text(
        "from helpers import GREETING\n\n\ndef test_greeting():\n"
        "    assert GREETING == 'hello'\n")
    # The conftest no longer imports the module candidates change.
    (project / "conftest.py").write_text(
        textwrap.dedent(ROOT_CONFTEST).replace("from helpers import GREETING",
                                               "GREETING = 'hello'"))
    with open_pool(project, project, 1, mutable=["helpers.py"], tests=TESTS) as pool:
        assert pool.forked, pool.fallback
        assert pool.server is not None and pool.server.proc is not None
        oks = [pool.run({"helpers.py": text}, args, 20).ok
               for text in (wrong, FILES["helpers.py"], wrong)]
        server_pid = pool.server.proc.pid
    assert oks == [False, True, False]
    # Neither the validator's config nor a candidate's session executed a conftest.
    assert {int(line.split()[1]) for line in _lines(imported_by)} == {server_pid}
