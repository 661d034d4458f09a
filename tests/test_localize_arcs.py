"""Branch (arc) spectra and likeness-weighted passing tests (localize/_arcs.py, issue #17):
real coverage runs of small projects, and the spectrum's arithmetic on hand-made data."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest
from conftest import benchmark_script

from pytest_agent._types import Location
from pytest_agent._types import Task
from pytest_agent._types import TestRun
from pytest_agent._types import Workspace
from pytest_agent.localize import localize_detailed
from pytest_agent.localize._arcs import passing_weights
from pytest_agent.localize._arcs import weighted_spectrum
from pytest_agent.localize._coverage import SpectrumRun
from pytest_agent.localize._coverage import run_spectrum
from pytest_agent.localize._rank import rank
from pytest_agent.settings import AgentSettings
from pytest_agent.testrun import run_tests

# ``sign`` lacks the branch for 0; every test runs each of its lines. Only the failing
# test and one passing test take the arc of ``if x < 0`` that falls through to
# ``return``. ``label``, every line also run by every test, made the value the failing
# line checks (value flow): without arcs it leads.
SIGNS = '''\
def sign(x):
    s = "positive"
    if x < 0:
        s = "negative"
    return s


def label(values):
    words = [sign(v) for v in values]
    return ",".join(words)
'''

SIGNS_TESTS = '''\
from signs import label


def test_negative():
    assert label([-3]) == "negative"


def test_negatives():
    assert label([-1, -2]) == "negative,negative"


def test_mixed():
    assert label([-1, 2]) == "negative,positive"


def test_zero():
    assert label([0]) == "zero"
'''


ACCEPT = ("tests/test_signs.py::test_zero",)


@pytest.fixture(scope="module")
def signs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SpectrumRun, TestRun]:
    """The project, its coverage run and its baseline (made once)."""
    root = tmp_path_factory.mktemp("arcs") / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / "signs.py").write_text(SIGNS)
    (root / "tests" / "test_signs.py").write_text(SIGNS_TESTS)
    run = run_spectrum(root, root, ["tests/test_signs.py"], timeout=120, per_test_limit=30,
                       arcs=True)
    return root, run, run_tests(root, ACCEPT, timeout=60)


@pytest.fixture
def no_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    """The origin of the wrong text off: ``sign`` made ``"positive"`` for
    ``label([0]) == "zero"`` and would lead without the arcs too (_origin.py)."""
    from pytest_agent.localize import _signals

    monkeypatch.setattr(_signals, "W_TEXT_ORIGIN", 0.0)


def _ranking(signs: tuple[Path, SpectrumRun, TestRun],
             arc_weight: float) -> tuple[Location, ...]:
    root, run, baseline = signs
    task = Task(id="T-1", description="fix it", accept_tests=ACCEPT)
    return rank(root, task, run, baseline, "ochiai", ["tests/test_signs.py"], root,
                arc_weight=arc_weight).functions


class TestArcs:
    def test_the_coverage_run_records_each_tests_arcs(
            self, signs: tuple[Path, SpectrumRun, TestRun]) -> None:
        root, run, _ = signs
        taken = run.arcs[str((root / "signs.py").resolve())]
        fall_through = (3, 5)
        assert {n.rsplit("::", 1)[1] for n, arcs in taken.items() if fall_through in arcs} == {
            "test_mixed", "test_zero"}
        assert (3, 4) in taken["tests/test_signs.py::test_negative"]
        # The lines are what they were without arcs: each test ran every line of sign.
        lines = run.coverage[str((root / "signs.py").resolve())]
        assert len(lines) == 4
        assert all({2, 3, 5} <= ran for ran in lines.values())

    def test_arcs_are_recorded_only_when_asked(
            self, signs: tuple[Path, SpectrumRun, TestRun]) -> None:
        root, with_arcs, _ = signs
        run = run_spectrum(root, root, ["tests/test_signs.py"], timeout=120, per_test_limit=30)
        assert run.arcs == {}
        assert with_arcs.arcs
        assert run.coverage == with_arcs.coverage

    def test_a_branch_every_line_of_which_every_test_runs_ranks_first(
            self, signs: tuple[Path, SpectrumRun, TestRun], no_origin: None) -> None:
        first = _ranking(signs, 1.0)[0]
        assert first.function == "sign"
        assert first.line == 3
        assert SIGNS.splitlines()[first.line - 1].strip() == "if x < 0:"
        assert any(e.startswith("arc 3 -> 5: ochiai 0.71") for e in first.evidence), (
            first.evidence)
        # Without the arcs the lines say nothing and the value flow decides.
        assert _ranking(signs, 0.0)[0].function == "label"

    def test_a_partial_weight_adds_part_of_the_arcs_excess(
            self, signs: tuple[Path, SpectrumRun, TestRun]) -> None:
        def score(weight: float) -> float:
            return next(loc.score for loc in _ranking(signs, weight)
                        if loc.function == "sign")

        assert score(0.5) - score(0.0) == pytest.approx((score(1.0) - score(0.0)) / 2, abs=1e-5)


class TestTheSetting:
    """``localize_arc_weight``: the harness's localization records arcs and reads them
    when it is above 0 (the default, 0.5), and neither at 0."""

    def _localize(self, signs: tuple[Path, SpectrumRun, TestRun],
                  **settings: float) -> tuple[Location, ...]:
        root, _, baseline = signs
        task = Task(id="T-1", description="fix it", accept_tests=ACCEPT)
        ws = Workspace(root=root, branch="agent/T-1", base_commit="0" * 40, repo_root=root)
        return localize_detailed(task, ws, baseline, AgentSettings(**settings)).functions

    def test_by_default_the_branch_only_the_failing_input_takes_leads(
            self, signs: tuple[Path, SpectrumRun, TestRun]) -> None:
        assert AgentSettings().localize_arc_weight == 0.5
        first = self._localize(signs)[0]
        assert (first.function, first.line) == ("sign", 3)
        assert any(e.startswith("arc 3 -> 5: ") for e in first.evidence), first.evidence

    def test_at_zero_no_arc_is_read(self, signs: tuple[Path, SpectrumRun, TestRun],
                                    no_origin: None) -> None:
        found = self._localize(signs, localize_arc_weight=0.0)
        assert found[0].function == "label"
        assert not any(e.startswith("arc ") for loc in found for e in loc.evidence)


def _cov(**tests: set[int]) -> dict[str, dict[str, frozenset[int]]]:
    return {"m.py": {name: frozenset(items) for name, items in tests.items()}}


class TestWeightedSpectrum:
    def test_unweighted_it_is_ochiai(self) -> None:
        got = weighted_spectrum(_cov(f={1, 2}, p1={1}, p2={1, 3}), frozenset({"f"}),
                                frozenset({"p1", "p2"}), {}, "ochiai")
        assert got[("m.py", 2)][0] == 1.0
        # Every failing and every passing test ran line 1: 1% of its score.
        assert got[("m.py", 1)][0] == pytest.approx(0.01 / 3**0.5)
        assert "run by every test" in got[("m.py", 1)][1]
        assert ("m.py", 3) not in got  # no failing test ran it

    def test_a_weighted_passing_test_counts_its_weight(self) -> None:
        got = weighted_spectrum(_cov(f={1, 2}, p1={2}, p2={1}), frozenset({"f"}),
                                frozenset({"p1", "p2"}), {"p1": 1.5, "p2": 0.5}, "ochiai")
        assert got[("m.py", 2)][0] == pytest.approx(1 / 2.5**0.5)
        assert got[("m.py", 1)][0] == pytest.approx(1 / 1.5**0.5)

    def test_the_nearest_passing_test_weighs_most(self) -> None:
        weights = passing_weights(_cov(f={1, 2, 3, 4}, near={1, 2, 3}, far={1, 9}),
                                  frozenset({"f"}), frozenset({"near", "far"}), 1.0)
        assert weights["near"] > weights["far"]
        assert sum(weights.values()) == pytest.approx(2.0)  # a mean of 1
        assert passing_weights(_cov(f={1}), frozenset({"f"}), frozenset(), 1.0) == {}


def test_a_cached_run_keeps_its_arcs_and_one_from_before_arcs_loads(tmp_path: Path) -> None:
    cache = benchmark_script("localize/spectrum_cache.py", "spectrum_cache")
    bug = tmp_path / "cache" / "proj-abc1234"
    bug.mkdir(parents=True)
    src = str(bug / "proj-abc1234" / "m.py")
    run = SpectrumRun(outcomes={"t": "failed"}, failures={}, exceptions=(),
                      coverage={src: {"t": frozenset({2})}}, collect_errors=(), output="",
                      duration=1.0, timed_out=False, has_coverage=True,
                      arcs={src: {"t": frozenset({(-1, 2), (2, -1)})}})
    cache.store(bug / "spectrum.pickle", run)
    assert cache.load(bug / "spectrum.pickle") == run
    # A run pickled before the field existed: its instance dict lacks ``arcs``.
    old = SpectrumRun(**{**run.__dict__, "arcs": {}})
    del old.__dict__["arcs"]
    for stored in ({"format": cache.FORMAT, "run": old}, old):
        (bug / "spectrum.pickle").write_bytes(pickle.dumps(stored))
        got = cache.load(bug / "spectrum.pickle")
        assert got.arcs == {}
        assert dataclasses.replace(got, arcs=run.arcs) == run
