"""What localization's coverage run collects (issue #17): per-test coverage written as
each test ends (a run cut short keeps the tests that finished), and which statement of
a failing test entered which project function. Real coverage runs on small projects."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_agent._types import Task
from pytest_agent._types import Workspace
from pytest_agent.localize import localize_detailed
from pytest_agent.localize._attribution import statement_calls
from pytest_agent.localize._coverage import SpectrumRun
from pytest_agent.localize._coverage import _parse
from pytest_agent.localize._coverage import run_spectrum
from pytest_agent.settings import AgentSettings
from pytest_agent.testrun import run_tests

DOC = '''\
class Doc:
    def __init__(self, items):
        self.items = items

    def replace(self, key, value):
        self.items = [(k, v) for k, v in self.items if k != key]
        self._append(key, value)

    def _append(self, key, value):
        self.items.insert(0, (key, value))

    def render(self):
        return ",".join(_fmt(k, v) for k, v in self.items)

    def __repr__(self):
        return "Doc(%r)" % (self.items,)


def _fmt(k, v):
    return "%s=%s" % (k, v)


def parse(text):
    return Doc([_pair(p) for p in text.split(",")])


def _pair(p):
    k, v = p.split("=")
    return k, v
'''

DOC_TESTS = '''\
from doc import parse


def test_parse():
    assert parse("a=1,b=2").render() == "a=1,b=2"


def test_replace():
    doc = parse("a=1,b=2")
    doc.replace("a", "3")
    assert doc == "b=2,a=3" or doc.render() == "b=2,a=3"
'''


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


class TestStatementAttribution:
    def test_each_function_is_mapped_to_the_test_statement_that_entered_it(
            self, proj: Path) -> None:
        write(proj, "doc.py", DOC)
        tests = write(proj, "tests/test_doc.py", DOC_TESTS)
        run = spectrum(proj, "tests/test_doc.py")
        assert run.failing == {"tests/test_doc.py::test_replace"}
        # Only the failing test's call phase is kept.
        assert [a.nodeid for a in run.attribution] == ["tests/test_doc.py::test_replace"]
        calls = run.attribution[0]
        test_file = str(tests.resolve())
        assert [(Path(f).resolve(), n) for f, n in calls.statements] == [
            (tests.resolve(), 9), (tests.resolve(), 10), (tests.resolve(), 11)]
        sites = {(c.qualname, c.test_line, c.depth) for c in calls.calls}
        assert {("parse", 9, 1), ("_pair", 9, 3), ("Doc.__init__", 9, 2),
                ("Doc.replace", 10, 1), ("Doc._append", 10, 2),
                ("Doc.render", 11, 1), ("_fmt", 11, 3)} <= sites
        assert all(Path(c.test_file).resolve() == Path(test_file) for c in calls.calls)
        # ``doc == "..."`` failed first: pytest's explanation of it calls Doc.__repr__,
        # which is the report, not the test: never attributed.
        assert "Doc.__repr__" not in {c.qualname for c in calls.calls}
        # Only project code, never the test file's own functions.
        assert all(Path(c.file).name == "doc.py" for c in calls.calls)

    def test_a_helper_in_the_test_file_is_the_innermost_test_frame(self, proj: Path) -> None:
        write(proj, "doc.py", DOC)
        write(proj, "tests/test_doc.py", '''\
            from doc import parse


            def check(text, expected):
                doc = parse(text)
                assert doc.render() == expected


            def test_render():
                check("a=1", "a=1")
                check("b=2", "b=3")
            ''')
        run = spectrum(proj, "tests/test_doc.py")
        (calls,) = run.attribution
        assert {(c.qualname, c.test_line) for c in calls.calls if c.depth == 1} == {
            ("parse", 5), ("Doc.render", 6)}

    def test_the_record_survives_the_json_round_trip(self) -> None:
        rec = {"kind": "attribution", "nodeid": "t.py::test_x",
               "statements": [["/p/t.py", 3], ["/p/t.py", 4]],
               "calls": [["/p/m.py", 1, "f", 1, 2], ["/p/m.py", 9, "g", 7, 1]],
               "truncated": False}
        calls = statement_calls(rec)
        # A call naming a statement that does not exist (a torn record) is dropped.
        assert [(c.qualname, c.test_line, c.depth) for c in calls.calls] == [("f", 4, 2)]


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
