"""What localization's coverage run collects (issue #17): per-test coverage written as
each test ends (a run cut short keeps the tests that finished), and which statement of
a failing test entered which project function. Real coverage runs on small projects."""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path

import pytest

from pytest_agent._types import Task
from pytest_agent._types import TestOutcome
from pytest_agent._types import TestRun
from pytest_agent._types import Workspace
from pytest_agent.localize import localize_detailed
from pytest_agent.localize._attribution import statement_calls
from pytest_agent.localize._coverage import SpectrumRun
from pytest_agent.localize._coverage import _parse
from pytest_agent.localize._coverage import run_spectrum
from pytest_agent.localize._coverage import without_false_hangs
from pytest_agent.localize._covplugin import selects
from pytest_agent.localize._rank import rank
from pytest_agent.localize._ranker import Ranker
from pytest_agent.localize._statements import _written
from pytest_agent.localize._statements import statement_signal
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


class TestStatementSignal:
    # The test builds a document from text, changes it, and checks its rendering.
    # Building (from_text, _split) and changing (replace, _put, the fault) run in the
    # failing test only: Ochiai 1.0 for all four; the builder comes first in the file.
    NOTES = '''\
        def from_text(text):
            notes = Notes()
            for pair in text.split(","):
                notes.add(*_split(pair))
            return notes


        def _split(pair):
            key, value = pair.split("=")
            return key, value


        class Notes:
            def __init__(self):
                self.items = []

            def add(self, key, value):
                self.items.append((key, value))

            def replace(self, key, value):
                at = [k for k, _ in self.items].index(key)
                self._put(at, key, value)

            def _put(self, at, key, value):
                self.items.insert(at, (key, value))

            def render(self):
                return ",".join("%s=%s" % item for item in self.items)
        '''
    NOTES_TESTS = '''\
        from notes import Notes, from_text


        def test_render():
            notes = Notes()
            notes.add("a", "1")
            assert notes.render() == "a=1"


        def test_replace():
            notes = from_text("a=1,b=2")
            notes.replace("a", "3")
            assert notes.render() == "a=3,b=2"
        '''

    def ranked(self, root: Path, run: SpectrumRun, nodeid: str) -> list[str]:
        task = Task(id="T-1", description="fix it", accept_tests=(nodeid,))
        ranking = rank(root, task, run, None, "ochiai", [nodeid.split("::")[0]], root)
        return [loc.function for loc in ranking.functions]

    def test_what_changed_the_checked_object_leads_what_built_it(self, proj: Path) -> None:
        write(proj, "notes.py", self.NOTES)
        write(proj, "tests/test_notes.py", self.NOTES_TESTS)
        nodeid = "tests/test_notes.py::test_replace"
        run = spectrum(proj, "tests/test_notes.py")
        with_signal = self.ranked(proj, run, nodeid)
        # The same coverage run without the attribution: the builder wins the tie.
        without = self.ranked(proj, SpectrumRun(**{**run.__dict__, "attribution": ()}), nodeid)

        def order(found: list[str]) -> list[str]:
            return [n for n in found if n in ("_split", "Notes._put")]

        assert order(without) == ["_split", "Notes._put"]
        assert order(with_signal) == ["Notes._put", "_split"]
        # (from_text keeps its place: value flow says it made the checked object.)
        # ... and through the public entry point, with its evidence.
        task = Task(id="T-1", description="fix it", accept_tests=(nodeid,))
        ws = Workspace(root=proj, branch="agent/T-1", base_commit="0" * 40, repo_root=proj)
        found = localize_detailed(task, ws, run_tests(proj, (nodeid,), timeout=60),
                                  AgentSettings())
        top = next(loc for loc in found.functions if loc.function == "Notes._put")
        why = "the last statement that changed what the failing one reads of a failing test"
        assert any(f"{why} (line 12)" in e for e in top.evidence)

    SHOP = '''\
        def make_cart(prices):
            return [{"price": p} for p in prices]


        def checkout(cart):
            return sum(item["price"] for item in cart[1:])
        '''

    @pytest.mark.parametrize("body", [
        # One statement did everything.
        "assert checkout(make_cart([1, 2])) == 3",
        # The check reads what one call built: both statements are in the slice.
        "cart = make_cart([1, 2])\n    assert checkout(cart) == 3",
    ])
    def test_nothing_to_tell_apart_adds_nothing(self, proj: Path, body: str) -> None:
        write(proj, "shop.py", self.SHOP)
        write(proj, "tests/test_shop.py",
              "from shop import checkout, make_cart\n\n\ndef test_checkout():\n"
              f"    {body}\n")
        run = spectrum(proj, "tests/test_shop.py")
        assert run.failing == {"tests/test_shop.py::test_checkout"}
        assert run.attribution
        ranker = Ranker(proj, ["tests/test_shop.py"])
        assert not statement_signal(ranker, run.attribution, run.exceptions, run.failing, 1.0)
        assert all(fs.bonus == 0 for fs in ranker.functions.values())

    @pytest.mark.parametrize(("source", "written"), [
        ("doc = parse(text)", {"doc"}),
        ("doc['a']['b'] = 3", {"doc"}),
        ("doc.items[0].x = 3", {"doc"}),
        ("doc.append(key, value)", {"doc", "key", "value"}),
        ("fill(doc, size=n)", {"doc", "n"}),
        ("a, b = pair", {"a", "b"}),
        ("total += 1", {"total"}),
        ("assert doc == 3", set()),
    ])
    def test_names_a_statement_changes(self, source: str, written: set[str]) -> None:
        assert _written(ast.parse(source).body[0]) == written


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


class TestOneParsePerTestFile:
    def test_the_ranking_parses_each_failing_tests_file_once(
            self, proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        # The traceback, body, name, literal and statement signals all read the
        # failing tests' file; the ranker parses it once for all of them.
        write(proj, "notes.py", TestStatementSignal.NOTES)
        tests = textwrap.dedent(TestStatementSignal.NOTES_TESTS) + textwrap.dedent('''\


            def test_replace_twice():
                notes = from_text("a=1,b=2")
                notes.replace("b", "3")
                notes.replace("a", "4")
                assert notes.render() == "a=4,b=3"
            ''')
        write(proj, "tests/test_notes.py", tests)
        source = (proj / "tests/test_notes.py").read_text()
        run = spectrum(proj, "tests/test_notes.py")
        accept = ("tests/test_notes.py::test_replace", "tests/test_notes.py::test_replace_twice")
        assert set(run.failing) == set(accept) and run.attribution
        parsed: list[str] = []
        real_parse = ast.parse

        def counting_parse(text: str | bytes, *args: object, **kwargs: object) -> ast.AST:
            parsed.append(text if isinstance(text, str) else text.decode())
            return real_parse(text, *args, **kwargs)  # type: ignore[call-overload,no-any-return]

        monkeypatch.setattr(ast, "parse", counting_parse)
        task = Task(id="T-1", description="fix replace", accept_tests=accept)
        test_file = str((proj / "tests/test_notes.py").resolve())
        ranking = rank(proj, task, run, None, "ochiai", [test_file, test_file], proj)
        assert ranking.method.startswith("coverage+traceback")
        assert parsed.count(source) == 1


class TestOnlyTheAcceptTestsAreProfiled:
    """The value and statement recorders are Python-level profile functions, several times
    coverage's own cost on call-heavy code (lark's parser tests: 6.5 s plain, 19 s under
    coverage, 58 s with both recorders in every test); only failing tests' records are
    read, so only the tests the harness names (the accept tests) get them."""

    PROBE = '''\
        import sys

        from doc import parse


        def test_runs_without_a_profile_function():
            assert sys.getprofile() is None


        def test_replace():
            doc = parse("a=1,b=2")
            doc.replace("a", "3")
            assert doc.render() == "b=2,a=3"
        '''

    def run(self, root: Path, *profiled: str) -> SpectrumRun:
        return run_spectrum(root, root, ["tests/test_doc.py"], timeout=120, per_test_limit=30,
                            profiled=profiled)

    def test_a_test_not_named_runs_under_coverage_alone(self, proj: Path) -> None:
        write(proj, "doc.py", DOC)
        write(proj, "tests/test_doc.py", self.PROBE)
        run = self.run(proj, "tests/test_doc.py::test_replace")
        replace = "tests/test_doc.py::test_replace"
        assert run.failing == {replace}
        # The named failing test keeps its statement attribution; the other test passed
        # because no profile function was installed in its call phase.
        assert [a.nodeid for a in run.attribution] == [replace]
        assert {c.qualname for c in run.attribution[0].calls} >= {"parse", "Doc.replace"}
        # Both tests are still in the spectrum.
        assert "tests/test_doc.py::test_runs_without_a_profile_function" in run.passing

    def test_without_names_every_test_is_profiled(self, proj: Path) -> None:
        write(proj, "doc.py", DOC)
        write(proj, "tests/test_doc.py", self.PROBE)
        run = self.run(proj)
        assert run.failing == {"tests/test_doc.py::test_runs_without_a_profile_function",
                               "tests/test_doc.py::test_replace"}

    def test_a_failing_test_not_named_gets_no_attribution_record(self, proj: Path) -> None:
        write(proj, "doc.py", DOC)
        write(proj, "tests/test_doc.py", self.PROBE)
        probe = "tests/test_doc.py::test_runs_without_a_profile_function"
        run = self.run(proj, probe)
        # The named test is profiled (so its own check fails); test_replace fails too,
        # unnamed: no record of it.
        assert run.failing == {probe, "tests/test_doc.py::test_replace"}
        assert [a.nodeid for a in run.attribution] == [probe]

    @pytest.mark.parametrize(("nodeid", "wanted", "selected"), [
        ("tests/test_a.py::test_x", "tests/test_a.py::test_x", True),
        ("tests/test_a.py::test_x[1-2]", "tests/test_a.py::test_x", True),
        ("tests/test_a.py::TestA::test_x", "tests/test_a.py::TestA", True),
        ("tests/test_a.py::test_x", "tests/test_a.py", True),
        # pytest's rootdir above the test root: the harness's id is a tail of pytest's
        ("pkg/tests/test_a.py::test_x", "tests/test_a.py::test_x", True),
        ("tests/test_a.py::test_xy", "tests/test_a.py::test_x", False),
        ("tests/test_a.py::test_x", "tests/test_b.py::test_x", False),
        ("other_tests/test_a.py::test_x", "tests/test_a.py::test_x", False),
    ])
    def test_which_node_ids_are_selected(self, nodeid: str, wanted: str,
                                         selected: bool) -> None:
        assert selects(nodeid, frozenset([wanted])) is selected


class TestTheCoverageRunIsNotMistakenForAHang:
    """STUDY class 2: the coverage run is several times slower than the baseline; a
    test stopped by a per-test limit learned from the baseline read as a hang, and
    "the test hung here" outranked the fault (lark's Earley bugs)."""

    # ``build`` is slow only under a profile function (the value and statement
    # recorders, in the accept tests' call phases): the baseline sees it finish at
    # once, the coverage run takes 2.5 s in it, more than the per-test floor (2 s).
    PROJECT = '''\
        import sys
        import time


        def build():
            if sys.getprofile() is not None:
                time.sleep(2.5)
            return [1, 2, 3]


        def total(xs):
            return xs[1] + xs[2] + xs[3]
        '''
    TESTS = '''\
        from calc import build, total


        def test_total():
            assert total(build()) == 6


        def test_build():
            assert len(build()) == 3
        '''

    def test_the_accept_tests_get_the_whole_cap(self, proj: Path) -> None:
        write(proj, "calc.py", self.PROJECT)
        write(proj, "tests/test_calc.py", self.TESTS)
        accept = "tests/test_calc.py::test_total"
        # The baseline saw the accept test take a millisecond: its limit was the
        # per-test floor (2 s), learned from a run 10-1000x faster on call-heavy code.
        baseline = run_tests(proj, [accept], timeout=60)
        assert baseline.failing == (accept,) and not baseline.hung
        run = run_spectrum(proj, proj, ["tests/test_calc.py"], timeout=120, per_test_limit=30,
                           profiled=[accept])
        assert not any(r.hung for r in run.exceptions)
        assert run.failing == {accept}
        assert run.passing == {"tests/test_calc.py::test_build"}

    def test_a_hang_the_baseline_did_not_show_is_no_evidence(self, proj: Path) -> None:
        write(proj, "calc.py", self.PROJECT)
        write(proj, "tests/test_calc.py", self.TESTS)
        accept = "tests/test_calc.py::test_total"
        task = Task(id="T-1", description="fix it", accept_tests=(accept,))
        ws = Workspace(root=proj, branch="agent/T-1", base_commit="0" * 40, repo_root=proj)
        baseline = run_tests(proj, [accept], timeout=60)
        # A per-test cap of 1 s: the coverage run stops the accept test inside build().
        settings = AgentSettings(test_timeout=60, per_test_timeout_max=1)
        raw = run_spectrum(proj, proj, ["tests/test_calc.py"], timeout=90, per_test_limit=1,
                           profiled=[accept])
        assert accept in [r.nodeid for r in raw.exceptions if r.hung]
        assert raw.failures[accept].startswith("hung in build")
        kept = without_false_hangs(raw, baseline)
        # The accept test still fails, with the baseline's text; what the coverage run
        # saw of it (where the alarm struck, the lines up to there) is left out.
        assert kept.disturbed == (accept,)
        assert kept.failing == raw.failing
        assert kept.failures[accept] == baseline.failures[accept]
        assert accept not in [r.nodeid for r in kept.exceptions]
        assert all(accept not in per for per in kept.coverage.values())
        assert kept.passing == raw.passing == {"tests/test_calc.py::test_build"}
        # The ranking reads the baseline's traceback: no "hung here" on build.
        found = localize_detailed(task, ws, baseline, settings)
        assert not any("hung" in e for loc in found.functions for e in loc.evidence)
        assert found.functions[0].function == "total"

    def test_a_hang_the_baseline_showed_is_kept(self, proj: Path) -> None:
        write(proj, "calc.py", self.PROJECT)
        write(proj, "tests/test_calc.py", self.TESTS)
        accept = "tests/test_calc.py::test_total"
        raw = run_spectrum(proj, proj, ["tests/test_calc.py"], timeout=90, per_test_limit=1,
                           profiled=[accept])
        hung = TestRun(outcomes={accept: TestOutcome.FAILED}, failures={accept: "hung in x"},
                       output="", exit_code=1, duration=1.0, hung={accept: "hung in build"})
        assert without_false_hangs(raw, hung) is raw
        never_ran = TestRun(outcomes={accept: TestOutcome.MISSING}, failures={}, output="",
                            exit_code=-9, duration=1.0, timed_out=True)
        assert without_false_hangs(raw, never_ran) is raw


class TestARunCutBeforeTheAcceptTests:
    """bidict-7ca069d: the coverage run was cut at its ceiling before the accept tests
    ran; an unrelated failing test became "the failing test" and every function it ran
    tied at Ochiai 1.0. The run says so, and the ranking uses the baseline instead."""

    def test_the_ranking_falls_back_to_the_baseline(self, proj: Path) -> None:
        write(proj, "calc.py", '''\
            def unrelated():
                return 1


            def total(xs):
                return sum(xs[1:])
            ''')
        write(proj, "tests/test_calc.py", '''\
            import time

            from calc import total, unrelated


            def test_a_unrelated():
                assert unrelated() == 2


            def test_b_slow():
                time.sleep(60)


            def test_c_total():
                assert total([1, 2, 3]) == 6
            ''')
        accept = "tests/test_calc.py::test_c_total"
        task = Task(id="T-1", description="fix it", accept_tests=(accept,))
        baseline = run_tests(proj, [accept], timeout=60)
        run = run_spectrum(proj, proj, ["tests/test_calc.py"], timeout=4, per_test_limit=30,
                           profiled=[accept])
        assert run.timed_out and run.cut_before_accept
        assert run.failing == {"tests/test_calc.py::test_a_unrelated"}
        test_file = str((proj / "tests/test_calc.py").resolve())
        ranking = rank(proj, task, run, baseline, "ochiai", [test_file], proj)
        assert "coverage" not in ranking.method
        assert ranking.functions[0].function == "total"

    def test_which_runs_are_cut_before_the_accept_tests(self) -> None:
        def parse(*records: dict[str, object], timed_out: bool = True) -> SpectrumRun:
            return _parse(list(records), "", 1.0, timed_out=timed_out)

        collected = {"kind": "accept-collected", "nodeids": ["t.py::a", "t.py::b"]}
        other = {"kind": "coverage-test", "nodeid": "t.py::x", "lines": {}}
        a_done = {"kind": "coverage-test", "nodeid": "t.py::a", "lines": {}}
        assert parse(collected, other).cut_before_accept
        # One accept test finished: its spectrum is there (more-itertools' cut runs
        # kept 2 of 3 failing tests and ranked well).
        assert not parse(collected, other, a_done).cut_before_accept
        # Not cut: a run that ended normally ran what it collected.
        assert not parse(collected, a_done, timed_out=False).cut_before_accept
        # No accept tests named: cut before any failing test finished.
        failed = {"kind": "report", "nodeid": "t.py::x", "when": "call", "outcome": "failed"}
        assert parse(failed).cut_before_accept
        assert not parse(failed, other).cut_before_accept
        assert not parse(failed, timed_out=False).cut_before_accept


class TestUnittestRenderingIsUntraced:
    """``self.assertEqual(tree, expected)`` renders both trees once ``==`` said no: a
    ``__repr__`` the failing test alone ran (lark-d6dae10, lark-a2f914e: ``Tree.__repr__``
    first at Ochiai 1.0; lark-a2f914e compares sets). What runs to report a failure is
    no evidence."""

    TREE = '''\
        class Tree:
            def __init__(self, data):
                self.data = data

            def __eq__(self, other):
                return self.data == other.data

            def __repr__(self):
                return "Tree(%r)" % (self.data,)

            def __hash__(self):
                return 0
        '''

    @pytest.mark.parametrize("check", [
        "self.assertEqual(Tree(1), Tree(2))",  # _common_shorten_repr
        "self.assertEqual([Tree(1)], [Tree(2)])",  # assertListEqual: safe_repr, pformat
        "self.assertEqual({'a': Tree(1)}, {'a': Tree(2)})",  # assertDictEqual: pformat
        "self.assertIn(Tree(1), [Tree(2)])",  # safe_repr
        "self.assertEqual({Tree(1)}, {Tree(2)})",  # assertSetEqual: the builtin repr
    ])
    def test_repr_of_a_failed_unittest_assert_is_not_covered(self, proj: Path,
                                                              check: str) -> None:
        write(proj, "tree.py", self.TREE)
        write(proj, "tests/test_tree.py", f'''\
            import unittest

            from tree import Tree


            class TestTree(unittest.TestCase):
                def test_equal(self):
                    {check}
            ''')
        run = spectrum(proj, "tests/test_tree.py")
        nodeid = "tests/test_tree.py::TestTree::test_equal"
        assert run.failing == {nodeid}
        assert "Tree(1)" in run.failures[nodeid]  # the message was still rendered
        ran = {Path(f).name: per[nodeid] for f, per in run.coverage.items() if nodeid in per}
        assert 6 in ran["tree.py"]  # __eq__ ran: a comparison is evidence
        assert 9 not in ran["tree.py"]  # __repr__'s body did not count


class TestEachTestsLinesReadOnce:
    """The coverage data is erased every few tests (the query of one context scanned
    every context of the run: quadratic in its tests). The records are the same as
    the old way's, which a conftest of the project computes from the same run: it
    keeps all the data (before each erase, and what is left at the end) and queries
    each test's context in it, as the plugin did before."""

    CONFTEST = '''\
        import json
        import os
        import re

        import coverage


        def pytest_sessionstart(session):
            plugin = session.config.pluginmanager.get_plugin("agent-localize")
            plugin.ERASE_EVERY = 2  # a small project: erase often
            data = plugin._data
            kept = coverage.CoverageData(no_disk=True)
            erase = data.erase

            def keep_then_erase(*args, **kwargs):
                kept.update(data)
                erase(*args, **kwargs)

            data.erase = keep_then_erase
            session.config._kept_coverage = kept, data


        def pytest_sessionfinish(session):
            kept, data = session.config._kept_coverage
            kept.update(data)  # the tests since the last erase
            old_way = {}
            for nodeid in sorted(kept.measured_contexts() - {""}):
                kept.set_query_contexts(["^" + re.escape(nodeid) + "$"])
                lines = {}
                for filename in sorted(kept.measured_files()):
                    ran = kept.lines(filename)
                    if ran:
                        lines[filename] = sorted(ran)
                old_way[nodeid] = lines
            with open(os.environ["OLD_WAY_OUT"], "w") as out:
                json.dump(old_way, out)
        '''

    def test_the_records_are_the_old_ways(self, proj: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
        write(proj, "doc.py", DOC)
        write(proj, "shapes.py", '''\
            def area(w, h):
                if w < 0 or h < 0:
                    raise ValueError("negative")
                return w * h


            def perimeter(w, h):
                return 2 * (w + h)
            ''')
        write(proj, "tests/conftest.py", self.CONFTEST)
        write(proj, "tests/test_doc.py", DOC_TESTS + textwrap.dedent('''

            import pytest

            from shapes import area, perimeter


            @pytest.fixture
            def square():
                side = perimeter(1, 1) // 4
                yield side
                area(side, side)


            @pytest.mark.parametrize("w", [-1, 0, 2])
            def test_area(w, square):
                assert area(w, square) == w


            def test_nothing():
                pass
            '''))
        old_way_out = tmp_path / "old_way.json"
        monkeypatch.setenv("OLD_WAY_OUT", str(old_way_out))
        run = spectrum(proj, "tests/test_doc.py")
        old_way = json.loads(old_way_out.read_text())
        new_way: dict[str, dict[str, list[int]]] = {}
        for filename, per_test in run.coverage.items():
            for nodeid, lines in per_test.items():
                new_way.setdefault(nodeid, {})[filename] = sorted(lines)
        assert len(run.outcomes) == 6 and set(new_way) == set(run.outcomes)
        assert old_way == new_way
        # Each test's own lines: the fixture's setup and teardown count for the test.
        shapes = str((proj / "shapes.py").resolve())
        assert new_way["tests/test_doc.py::test_area[2]"][shapes] == [2, 4, 8]
        assert new_way["tests/test_doc.py::test_area[-1]"][shapes] == [2, 3, 4, 8]


class TestExtraTests:
    """More passing tests for the spectrum (``localize_extra_tests_seconds``, ``_widen``):
    tests of other files that run the functions tied at the top."""

    CALC = '''\
        def evaluate(text):
            return compute(tokenize(text))


        def tokenize(text):
            return text.split()


        def compute(tokens):
            total = 0
            for tok in tokens:
                total += _value(tok)
            return total


        def _value(tok):
            if tok.startswith("-"):
                return int(tok[1:])
            return int(tok)
        '''
    # The accept tests' file: its one failing test runs every function of calc.py and
    # no passing test does; all tie at Ochiai 1.0.
    ACCEPT = '''\
        from calc import evaluate


        def test_negative():
            assert evaluate("3 -1") == 2


        def test_nothing():
            assert True
        '''
    # Another file, named after the module: a passing test that runs all but the
    # negative branch, and a failing one, which is someone else's failure.
    OTHER = '''\
        import calc


        def test_positive():
            assert calc.evaluate("1 2") == 3


        def test_unrelated_breakage():
            assert calc.tokenize("a  b") == ["a", "", "b"]
        '''

    def test_passing_tests_of_other_files_separate_the_fault(self, proj: Path) -> None:
        from pytest_agent.localize._run import _widened

        write(proj, "calc.py", self.CALC)
        write(proj, "tests/test_evaluate.py", self.ACCEPT)
        write(proj, "tests/test_calc.py", self.OTHER)
        accept = "tests/test_evaluate.py::test_negative"
        task = Task(id="T-1", description="fix it", accept_tests=(accept,))
        ws = Workspace(root=proj, branch="agent/T-1", base_commit="0" * 40, repo_root=proj)
        run = spectrum(proj, "tests/test_evaluate.py")
        wide = _widened(run, task, ws, ["tests/test_evaluate.py"], budget=60, per_test=30)
        # Only the other file's passing test is added; its failure is not the task's.
        assert set(wide.outcomes) - set(run.outcomes) == {"tests/test_calc.py::test_positive"}
        assert wide.failing == run.failing == {accept}
        assert wide.extra_tests == 1

        def ranked(spectrum_run: SpectrumRun) -> list[str]:
            ranking = rank(proj, task, spectrum_run, None, "ochiai", ["tests/test_evaluate.py"],
                           proj)
            return [loc.function for loc in ranking.functions]

        # Alone, value flow breaks the tie for what returned the checked sum; with the
        # other file's passing test only the negative branch keeps Ochiai 1.0.
        assert ranked(run)[0] != "_value"
        assert ranked(wide)[0] == "_value"

    def test_which_tests_are_chosen(self, tmp_path: Path) -> None:
        from pytest_agent.localize._widen import Tied
        from pytest_agent.localize._widen import extra_targets

        write(tmp_path, "tests/test_accept.py", "from calc import _value\n")
        write(tmp_path, "tests/test_calc.py", "def test_a():\n    pass\n")  # named after
        write(tmp_path, "tests/test_some.py", '''\
            from calc import compute, _value


            def test_compute():
                assert compute(["1"]) == 1


            def test_other():
                pass


            class TestValue:
                def test_value(self):
                    assert _value("2") == 2

                def helper(self):
                    pass


            class Helper:
                def test_not_collected(self):
                    pass
            ''')
        # A name used in a helper: which tests run it is unknown, the whole file.
        write(tmp_path, "tests/sub/test_helper.py",
              "import calc\n\n\ndef check():\n    calc.compute([])\n\n\n"
              "def test_x():\n    check()\n")
        write(tmp_path, "tests/test_unrelated.py", "def test_y():\n    pass\n")
        tied = Tied(names=frozenset({"compute", "_value"}), modules=frozenset({"calc"}),
                    count=2)
        assert extra_targets(tied, tmp_path, ["tests/test_accept.py::test_x"]) == [
            "tests/test_calc.py",
            "tests/test_some.py::test_compute", "tests/test_some.py::TestValue::test_value",
            "tests/sub/test_helper.py",
        ]
        # One function alone at the top: nothing to separate.
        assert extra_targets(Tied(tied.names, tied.modules, 1), tmp_path, []) == []
        # A project that renames what pytest collects: whole files only.
        write(tmp_path, "pytest.ini", "[pytest]\npython_functions = check_*\n")
        assert "tests/test_some.py" in extra_targets(tied, tmp_path, [])

    def test_the_functions_tied_at_the_top(self, tmp_path: Path) -> None:
        from pytest_agent.localize._widen import tied_functions

        mod = write(tmp_path, "pkg/core.py", '''\
            def f():
                return 1


            def g():
                return 2


            class H:
                def __init__(self):
                    self.x = 3


            def every():
                return 4
            ''')
        fail, p1, p2 = "tests/test_a.py::test_fail", "tests/test_a.py::p1", "tests/test_a.py::p2"
        ran = {fail: frozenset({2, 6, 11, 15}), p1: frozenset({2, 6, 11, 15}),
               p2: frozenset({11, 15})}
        run = SpectrumRun(outcomes={fail: "failed", p1: "passed", p2: "passed"}, failures={},
                          exceptions=(), coverage={str(mod): ran}, collect_errors=(),
                          output="", duration=0.0, timed_out=False, has_coverage=True)
        # f and g: ef=1 ep=1 (0.71); H.__init__ ep=2 (0.58); every: every test ran it.
        tied = tied_functions(run, frozenset({fail}), tmp_path)
        assert (tied.names, tied.modules, tied.count) == ({"f", "g"}, {"core"}, 2)
        ran[p1], ran[p2] = frozenset({2, 15}), frozenset({15})
        tied = tied_functions(run, frozenset({fail}), tmp_path)
        # Now g and H.__init__ tie at 1.0 (a class stands for its __init__).
        assert (tied.names, tied.count) == ({"g", "H"}, 2)
