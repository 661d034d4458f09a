"""The validators and the forked runs see the world a fresh ``python -m pytest`` sees.

A candidate is judged in a session forked from the task's warm test server (or from a
fresh worker in a copy). Whatever differs there from the fresh process that makes the
final verify (what is imported, the environment, ``sys.argv``) can make a failing
test pass, or a passing one fail, for every candidate alike: the search then never
succeeds, or "repairs" a bug it does not reproduce. Each case here is a small real
project of a shape that did that, run fresh and through the validators (both kinds)
and the server's forked runs, with the same verdicts expected.
"""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_agent._server import TaskTests
from pytest_agent._server import fork_available
from pytest_agent.engines.offline._pool import WorkerPool
from pytest_agent.engines.offline._pool import open_pool
from pytest_agent.settings import AgentSettings
from pytest_agent.testrun import run_tests

pytestmark = pytest.mark.skipif(not fork_available(), reason="needs os.fork")

SETTINGS = AgentSettings(per_test_timeout_max=5.0, per_test_timeout_min=2.0)
ARGS = ["-q", "--tb=no", "-p", "no:cacheprovider", "-o", "addopts="]

BUGGY = "def smaller(a, b):\n    return a if a > b else b\n"
FIXED = "def smaller(a, b):\n    return a if a < b else b\n"
TEST = textwrap.dedent("""\
    from shadowpkg import smaller


    def test_smaller():
        assert smaller(2, 3) == 2
    """)


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


@pytest.fixture
def tests_of() -> Iterator[list[TaskTests]]:
    """Task test runs opened by a test, closed after it."""
    opened: list[TaskTests] = []
    yield opened
    for session in opened:
        session.close()


def attached(root: Path, targets: list[str], opened: list[TaskTests]) -> TaskTests:
    session = TaskTests.open(SETTINGS)
    opened.append(session)
    session.attach(root, root, targets)
    return session


def pool_of(kind: str, root: Path, mutable: list[str], tests: list[str]) -> WorkerPool:
    if kind == "forked":
        return open_pool(root, root, 1, mutable=mutable, tests=tests)
    return WorkerPool(root, root, 1, mutable=mutable)


@pytest.fixture
def shadowing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project that provides its own ``shadowpkg``, of which an installed copy is
    imported by every Python process at its start (as pytest imports ``pygments``, or a
    plugin its dependencies) before the test server knows the task."""
    site = write(tmp_path / "site", {"shadowpkg/__init__.py": FIXED,
                                     "sitecustomize.py": "import shadowpkg\n"})
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(site), *filter(None, [os.environ.get("PYTHONPATH")])]))
    return write(tmp_path / "proj", {"shadowpkg/__init__.py": BUGGY,
                                     "tests/test_smaller.py": TEST})


@pytest.mark.parametrize("kind", ["forked", "copies"])
def test_the_projects_own_copy_of_a_module_the_server_imported_first_is_tested(
        shadowing: Path, kind: str, tests_of: list[TaskTests]) -> None:
    test = "tests/test_smaller.py::test_smaller"
    # A fresh process has the project first on sys.path: its buggy copy fails the test.
    assert run_tests(shadowing, [test], timeout=60).failing == (test,)
    session = attached(shadowing, [test], tests_of)
    # So does the baseline forked from the server, which had imported the installed copy.
    assert run_tests(shadowing, [test], timeout=60, warm=True).failing == (test,)
    assert session.server is not None and session.server.runs == 1
    with pool_of(kind, shadowing, ["shadowpkg/__init__.py"], [test]) as pool:
        assert pool.forked is (kind == "forked"), pool.fallback
        base = pool.run({}, [*ARGS, test], 30)
        assert base.failed == (test,)
        # The candidate's text is what the session imports.
        assert pool.run({"shadowpkg/__init__.py": FIXED}, [*ARGS, test], 30).ok
        assert pool.run({"shadowpkg/__init__.py": BUGGY}, [*ARGS, test], 30).failed == (test,)


def test_what_the_conftest_put_into_the_environment_is_there_in_a_forked_run(
        tmp_path: Path, tests_of: list[TaskTests]) -> None:
    root = write(tmp_path / "proj", {
        "conftest.py": """\
            import os

            os.environ["APP_MODE"] = "strict"
            os.environ.pop("APP_DEBUG", None)
            """,
        "tests/test_env.py": """\
            import os


            def test_mode():
                assert os.environ.get("APP_MODE") == "strict"


            def test_debug_off():
                assert "APP_DEBUG" not in os.environ
            """,
    })
    ids = ["tests/test_env.py::test_mode", "tests/test_env.py::test_debug_off"]
    os.environ["APP_DEBUG"] = "1"
    try:
        cold = run_tests(root, ids, timeout=60)
        session = attached(root, ids, tests_of)
        warm = run_tests(root, ids, timeout=60, warm=True)
    finally:
        del os.environ["APP_DEBUG"]
    assert session.server is not None and session.server.runs == 1
    assert cold.passed and warm.passed, (cold.failures, warm.failures)


ARGV_TEST = """\
    import json
    import os
    import sys


    def test_record():
        main = sys.modules["__main__"]
        with open(os.environ["ARGV_OUT"], "a") as out:
            out.write(json.dumps([os.path.basename(sys.argv[0]), len(sys.argv) > 1,
                                  main.__spec__.name if main.__spec__ else None]) + "\\n")
    """


def test_a_session_has_the_argv_and_main_module_of_python_m_pytest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tests_of: list[TaskTests]) -> None:
    """A CLI parser given no argv reads ``sys.argv[1:]``; a program's name comes from
    ``sys.argv[0]`` or ``__main__``: not the test server's."""
    out = tmp_path / "argv.jsonl"
    monkeypatch.setenv("ARGV_OUT", str(out))
    root = write(tmp_path / "proj", {"tests/test_argv.py": ARGV_TEST})
    test = "tests/test_argv.py::test_record"
    assert run_tests(root, [test], timeout=60).passed
    attached(root, [test], tests_of)
    assert run_tests(root, [test], timeout=60, warm=True).passed
    for kind in ("forked", "copies"):
        with pool_of(kind, root, [], [test]) as pool:
            assert pool.run({}, [*ARGS, test], 30).ok
    # Fresh, forked from the server, and in each kind of validator (its probe session
    # on the original code, then the candidate's).
    seen = [json.loads(line) for line in out.read_text().splitlines()]
    assert seen[0] == ["__main__.py", True, "pytest.__main__"]
    assert len(seen) >= 4 and seen == [seen[0]] * len(seen)


def test_pytest_randomly_is_off_in_the_validators_as_in_every_inner_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inner runs load ``-p no:randomly`` (``_inner.INNER_ARGS``): no shuffled order, no
    reseeded ``random``. A plugin of that name (as pytest-randomly registers itself)
    fails every test it sees here: fresh runs and validators must both leave it off."""
    plugins = write(tmp_path / "plugins", {"randomly.py": """\
        import pytest


        @pytest.hookimpl(tryfirst=True)
        def pytest_runtest_call(item):
            raise AssertionError("shuffled by randomly")
        """})
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(plugins), *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.setenv("PYTEST_PLUGINS", "randomly")
    root = write(tmp_path / "proj", {"tests/test_one.py": "def test_one():\n    pass\n"})
    test = "tests/test_one.py::test_one"
    assert run_tests(root, [test], timeout=60).passed
    for kind in ("forked", "copies"):
        with pool_of(kind, root, [], [test]) as pool:
            result = pool.run({}, [*ARGS, test], 30)
            assert result.ok, (kind, result.records)
