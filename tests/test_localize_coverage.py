"""What localization's coverage run collects (issue #17): per-test coverage written as
each test ends (a run cut short keeps the tests that finished). Real coverage runs on
small projects."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_agent._types import Task
from pytest_agent._types import Workspace
from pytest_agent.localize import localize_detailed
from pytest_agent.localize._coverage import SpectrumRun
from pytest_agent.localize._coverage import _parse
from pytest_agent.localize._coverage import run_spectrum
from pytest_agent.settings import AgentSettings
from pytest_agent.testrun import run_tests


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pytest.ini").write_text("[pytest]\n")
    return root


def spectrum(root: Path, *targets: str, per_test_limit: float = 30) -> SpectrumRun:
    return run_spectrum(root, root, targets, timeout=120, per_test_limit=per_test_limit)


def localize(root: Path, *accept: str) -> list[tuple[str, str]]:
    task = Task(id="T-1", description="fix it", accept_tests=accept)
    ws = Workspace(root=root, branch="agent/T-1", base_commit="0" * 40, repo_root=root)
    baseline = run_tests(root, accept, timeout=60)
    found = localize_detailed(task, ws, baseline, AgentSettings())
    return [(loc.path, loc.function) for loc in found.functions]


class TestCoverageKeptWhenCutShort:
    PROJECT = '''\
        def one():
            return 1


        def two():
            return 2


        def three():
            return 3
        '''

    def test_a_run_killed_mid_way_keeps_the_finished_tests(self, proj: Path) -> None:
        write(proj, "calc.py", self.PROJECT)
        write(proj, "tests/test_calc.py", '''\
            import os
            import signal

            from calc import one, three, two


            def test_one():
                assert one() == 1


            def test_two():
                assert two() == 3


            def test_killed():
                three()
                os.kill(os.getpid(), signal.SIGKILL)
            ''')
        run = spectrum(proj, "tests/test_calc.py")
        assert run.has_coverage
        calc = str((proj / "calc.py").resolve())
        covered = {Path(f).resolve(): per for f, per in run.coverage.items()}[Path(calc)]
        assert covered == {"tests/test_calc.py::test_one": {2},
                           "tests/test_calc.py::test_two": {6}}
        assert run.outcomes == {"tests/test_calc.py::test_one": "passed",
                                "tests/test_calc.py::test_two": "failed"}
        # ... enough for a spectrum: the failing test's function leads.
        ranked = localize(proj, "tests/test_calc.py::test_two")
        assert ranked[0] == ("calc.py", "two")

    def test_a_killed_test_that_reported_counts_only_with_its_coverage(self) -> None:
        # A test that reported passing and was killed in its teardown, before its
        # coverage was written, would be a passing test that ran nothing.
        records = [
            {"kind": "report", "nodeid": "t.py::a", "when": "call", "outcome": "passed"},
            {"kind": "coverage-test", "nodeid": "t.py::a", "lines": {"/p/m.py": [1, 2]}},
            {"kind": "report", "nodeid": "t.py::b", "when": "call", "outcome": "failed",
             "longrepr": "E boom"},
            {"kind": "coverage-test", "nodeid": "t.py::b", "lines": {"/p/m.py": [2, 3]}},
            {"kind": "report", "nodeid": "t.py::c", "when": "call", "outcome": "passed"},
        ]
        cut = _parse(records, "", 1.0, timed_out=True)
        assert cut.outcomes == {"t.py::a": "passed", "t.py::b": "failed"}
        assert cut.coverage == {"/p/m.py": {"t.py::a": frozenset({1, 2}),
                                            "t.py::b": frozenset({2, 3})}}
        whole = _parse(records, "", 1.0, timed_out=False)
        assert whole.outcomes["t.py::c"] == "passed"
