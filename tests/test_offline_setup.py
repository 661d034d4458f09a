"""The validators of a search on the task's warm server, after the harness's baseline:
what a session imports from outside the project is imported once, before the fork, not
again in every candidate's session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_agent import regression
from pytest_agent._server import TaskTests
from pytest_agent._server import fork_available
from pytest_agent._types import Task
from pytest_agent.engines.offline._engine import SESSION_ARGS
from pytest_agent.engines.offline._pool import open_pool
from pytest_agent.settings import AgentSettings
from pytest_agent.testrun import run_baseline

# A plugin package outside the project that imports a module lazily at the end of a
# session, as hypothesis's plugin does in its terminal summary. pytest rewrites the
# modules of a plugin package, so the server does not import them itself after the
# baseline (``_serve._loaded_outside``): the validators must, with the rewrite hook on.
PLUGIN = "def pytest_sessionfinish(session):\n    from lazyplug import heavy  # noqa: F401\n"
HEAVY = ("import os\n\nwith open(os.environ['LAZY_COUNT'], 'a') as out:\n"
         "    out.write('imported\\n')\n")


@pytest.mark.skipif(not fork_available(), reason="validators are forks of the server")
def test_a_plugins_lazy_import_is_not_repeated_in_every_candidate_session(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site, project = tmp_path / "site", tmp_path / "project"
    (site / "lazyplug").mkdir(parents=True)
    (site / "lazyplug" / "__init__.py").write_text(PLUGIN, encoding="utf-8")
    (site / "lazyplug" / "heavy.py").write_text(HEAVY, encoding="utf-8")
    (project / "tests").mkdir(parents=True)
    (project / "conftest.py").write_text('pytest_plugins = ["lazyplug"]\n', encoding="utf-8")
    (project / "calc.py").write_text("def double(x):\n    return x + x + 1\n", encoding="utf-8")
    (project / "tests" / "test_calc.py").write_text(
        "from calc import double\n\n\ndef test_double():\n    assert double(2) == 4\n\n\n"
        "def test_type():\n    assert isinstance(double(1), int)\n", encoding="utf-8")
    count = tmp_path / "count.txt"
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p))
    monkeypatch.setenv("LAZY_COUNT", str(count))
    task = Task(id="T-1", description="d", accept_tests=("tests/test_calc.py::test_double",))
    tests = TaskTests.open(AgentSettings())
    try:
        targets = regression.baseline_targets(task)
        tests.attach(project, project, targets)
        baseline = run_baseline(project, project, targets, timeout=60,
                                profiled=task.accept_tests)
        assert baseline.failing == ("tests/test_calc.py::test_double",)
        args = ["-x", *SESSION_ARGS, *baseline.failing, "tests/test_calc.py::test_type"]
        with open_pool(project, project, 1, mutable=["calc.py"],
                       tests=["tests/test_calc.py"]) as pool:
            assert "task's test server" in pool.validators
            pool.warm(args, 30)
            before = count.read_text(encoding="utf-8").count("imported")
            fixed = {"calc.py": "def double(x):\n    return x + x\n"}
            results = [pool.run(fixed if i % 2 else {}, args, 30) for i in range(4)]
            after = count.read_text(encoding="utf-8").count("imported")
    finally:
        tests.close()
    assert [r.ok for r in results] == [False, True, False, True]
    # Imported in the validator before its children were forked, never in a child.
    assert after == before
