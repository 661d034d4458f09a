"""The localization benchmark's cache (benchmarks/localize/spectrum_cache.py): a cache
copied elsewhere keeps its coverage, or is refused with a message; never silently empty."""

from __future__ import annotations

import dataclasses
import json
import pickle
import shutil
from pathlib import Path
from types import ModuleType

import pytest
from conftest import benchmark_script

from pytest_agent._types import TestOutcome
from pytest_agent._types import TestRun
from pytest_agent.localize._coverage import ExceptionRecord
from pytest_agent.localize._coverage import SpectrumRun
from pytest_agent.localize._valuerec import ValueSpectrum
from pytest_agent.settings import AgentSettings

BUG = "proj-abc1234"


cache = benchmark_script("localize/spectrum_cache.py", "spectrum_cache")


def _runs(bug_dir: Path) -> tuple[SpectrumRun, TestRun]:
    src = str(bug_dir / BUG / "proj" / "core.py")
    spectrum = SpectrumRun(
        outcomes={"tests/test_core.py::test_a": "failed", "tests/test_core.py::test_b": "passed"},
        failures={"tests/test_core.py::test_a": f'File "{src}", line 3, in parse'},
        exceptions=(ExceptionRecord(nodeid="tests/test_core.py::test_a", type="ValueError",
                                    message="bad", frames=((src, 3, "parse"),)),),
        coverage={src: {"tests/test_core.py::test_a": frozenset({2, 3}),
                        "tests/test_core.py::test_b": frozenset({2})}},
        collect_errors=(), output="", duration=1.5, timed_out=False, has_coverage=True,
    )
    baseline = TestRun(outcomes={"tests/test_core.py::test_a": TestOutcome.FAILED},
                       failures={"tests/test_core.py::test_a": f"{src}:3: ValueError"},
                       output="", exit_code=1, duration=0.5)
    return spectrum, baseline


def _bug_dir(root: Path) -> Path:
    path = root / "cache" / BUG
    path.mkdir(parents=True)
    return path


def test_a_moved_cache_keeps_its_paths(tmp_path: Path) -> None:
    made = _bug_dir(tmp_path / "a")
    spectrum, baseline = _runs(made)
    cache.store(made / "spectrum.pickle", spectrum)
    cache.store(made / "baseline.pickle", baseline)
    assert str(made).encode() not in (made / "spectrum.pickle").read_bytes()

    moved = tmp_path / "b" / "cache" / BUG
    shutil.copytree(made, moved)
    shutil.rmtree(made)
    got = cache.load(moved / "spectrum.pickle")
    src = str(moved / BUG / "proj" / "core.py")
    assert list(got.coverage) == [src]
    assert got.coverage[src] == spectrum.coverage[str(made / BUG / "proj" / "core.py")]
    assert got.exceptions[0].frames == ((src, 3, "parse"),)
    assert got.failures["tests/test_core.py::test_a"].startswith(f'File "{src}"')
    old = cache.load(moved / "baseline.pickle")
    assert old.outcomes == {"tests/test_core.py::test_a": TestOutcome.FAILED}
    assert type(old.outcomes["tests/test_core.py::test_a"]) is TestOutcome
    assert old.failures["tests/test_core.py::test_a"] == f"{src}:3: ValueError"


def test_an_old_format_cache_is_moved_to_where_it_is(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    made = _bug_dir(tmp_path / "a")
    spectrum, _ = _runs(made)
    moved = _bug_dir(tmp_path / "b")
    (moved / "spectrum.pickle").write_bytes(pickle.dumps(spectrum))  # format 1: bare
    got = cache.load(moved / "spectrum.pickle")
    assert list(got.coverage) == [str(moved / BUG / "proj" / "core.py")]
    assert "old-format cache made in" in capsys.readouterr().err
    # Read where it was made: unchanged, no message.
    (made / "spectrum.pickle").write_bytes(pickle.dumps(spectrum))
    assert cache.load(made / "spectrum.pickle") == spectrum
    assert capsys.readouterr().err == ""


def test_a_cache_that_cannot_be_placed_is_refused(tmp_path: Path) -> None:
    spectrum, _ = _runs(tmp_path / "elsewhere")  # paths without /<id>/<id>/
    odd = SpectrumRun(**{**spectrum.__dict__, "coverage": {"/x/core.py": {"t": frozenset({1})}},
                         "failures": {}, "exceptions": ()})
    here = _bug_dir(tmp_path / "b")
    (here / "spectrum.pickle").write_bytes(pickle.dumps(odd))
    with pytest.raises(cache.CacheError, match="made elsewhere"):
        cache.load(here / "spectrum.pickle")
    (here / "spectrum.pickle").write_bytes(pickle.dumps({"format": "other/9", "run": None}))
    with pytest.raises(cache.CacheError, match="rebuild the cache"):
        cache.load(here / "spectrum.pickle")


# -- one recording per cache (benchmarks/localize/real_corpus.py) ------------------------

def _real_corpus() -> ModuleType:
    return benchmark_script("localize/real_corpus.py", "real_corpus", sibling_imports=True)


def test_a_cache_refuses_a_run_recorded_without_its_value_records(tmp_path: Path) -> None:
    corpus = _real_corpus()
    made = _bug_dir(tmp_path)
    spectrum, _ = _runs(made)
    src = next(iter(spectrum.coverage))
    recorded = dataclasses.replace(
        spectrum, arcs={src: {"tests/test_core.py::test_a": frozenset({(2, 3)})}},
        values=ValueSpectrum())
    cache.store(made / "spectrum.pickle", recorded)
    root = made.parent

    with pytest.raises(cache.CacheError) as refused:
        corpus.check_recording(root, {"arcs": True, "values": False})
    message = str(refused.value)
    assert str(root) in message and "PYTEST_AGENT_LOCALIZE_VALUES=1 set" in message
    # Read from the cache's run (made before the file existed), then kept in the file.
    assert json.loads((root / corpus.RECORDING_FILE).read_text()) == {
        "arcs": True, "values": True}
    corpus.check_recording(root, {"arcs": True, "values": True})  # the same: accepted


def test_a_new_cache_takes_the_first_runs_recording(tmp_path: Path) -> None:
    corpus = _real_corpus()
    root = tmp_path / "cache"
    root.mkdir()
    corpus.check_recording(root, {"arcs": True, "values": False})
    with pytest.raises(cache.CacheError, match="PYTEST_AGENT_COVERAGE_BRANCH=1"):
        corpus.check_recording(root, {"arcs": False, "values": False})


def test_the_recording_follows_the_arc_weight_and_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = _real_corpus()
    monkeypatch.delenv("PYTEST_AGENT_COVERAGE_BRANCH", raising=False)
    monkeypatch.setenv("PYTEST_AGENT_LOCALIZE_VALUES", "1")
    assert corpus.recording(AgentSettings(localize_arc_weight=0.0)) == {
        "arcs": False, "values": True}
    monkeypatch.delenv("PYTEST_AGENT_LOCALIZE_VALUES")
    assert corpus.recording(AgentSettings()) == {"arcs": True, "values": False}
