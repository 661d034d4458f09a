"""One classification of test outcomes (``_outcomes``), the same on every recording path.

Three paths record an inner run's outcomes: the JSON-lines recorder of ordinary inner
runs (``_collector``), localization's coverage plugin (``localize/_covplugin``, in the
same session as the baseline) and the offline engine's candidate sessions (in memory,
in a fallback worker and in a validator forked from a warm test server). Each runs the
same matrix of tests for real here, and each must give the same records.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from pytest_agent._collector import COVERAGE_LIMIT_ENV
from pytest_agent._collector import COVERAGE_OUT_ENV
from pytest_agent._collector import COVERAGE_SOURCE_ENV
from pytest_agent._collector import REPORT_ENV
from pytest_agent._outcomes import MemorySink
from pytest_agent._outcomes import read_records
from pytest_agent._timeout import TestLimits
from pytest_agent.engines.offline._pool import WorkerPool
from pytest_agent.engines.offline._pool import open_pool

CONFTEST = textwrap.dedent("""\
    import pytest


    @pytest.fixture
    def broken_setup():
        raise RuntimeError("setup breaks")


    @pytest.fixture
    def broken_teardown():
        yield
        raise RuntimeError("teardown breaks")
    """)

MATRIX = textwrap.dedent("""\
    import pytest


    def test_pass():
        pass


    def test_fail():
        assert 1 == 2


    def test_setup_error(broken_setup):
        pass


    def test_teardown_error(broken_teardown):
        pass


    def test_skip_in_body():
        pytest.skip("not here")


    @pytest.mark.skip(reason="never")
    def test_skip_marked():
        pass


    @pytest.mark.xfail(reason="known")
    def test_xfail():
        assert False


    @pytest.mark.xfail(reason="known")
    def test_xpass():
        pass


    @pytest.mark.xfail(reason="known", strict=True)
    def test_xpass_strict():
        pass


    @pytest.mark.parametrize("n", [1, 2])
    def test_param(n):
        assert n == 1


    def spin():
        while True:
            pass


    def test_hang():
        spin()
    """)

#: What every path must record: node id -> {(when, outcome)}.
EXPECTED: dict[str, set[tuple[str, str]]] = {
    "test_matrix.py::test_pass": {("call", "passed")},
    "test_matrix.py::test_fail": {("call", "failed")},
    "test_matrix.py::test_setup_error": {("setup", "error")},
    "test_matrix.py::test_teardown_error": {("call", "passed"), ("teardown", "error")},
    "test_matrix.py::test_skip_in_body": {("call", "skipped")},
    "test_matrix.py::test_skip_marked": {("setup", "skipped")},
    "test_matrix.py::test_xfail": {("call", "xfailed")},
    "test_matrix.py::test_xpass": {("call", "xpassed")},
    "test_matrix.py::test_xpass_strict": {("call", "failed")},
    "test_matrix.py::test_param[1]": {("call", "passed")},
    "test_matrix.py::test_param[2]": {("call", "failed")},
    "test_matrix.py::test_hang": {("call", "failed")},
    "test_broken.py": {("collect", "error")},
}
LIMITS = TestLimits(floor=0.5, factor=10, cap=1.0)
# A collection error would stop the session before any test ran.
ARGS = ["-p", "no:cacheprovider", "--continue-on-collection-errors", "test_matrix.py",
        "test_broken.py"]


def _shape(records: list[dict[str, Any]]) -> list[tuple[str, str, str, str, bool, bool]]:
    """What classification decides: node id, phase, outcome, hang evidence, whether a
    failure text and a duration were recorded."""
    return sorted((r["nodeid"], r["when"], r["outcome"], r.get("hung", ""),
                   bool(r["longrepr"]), "duration" in r) for r in records)


@pytest.fixture
def matrix(pytester: pytest.Pytester) -> Path:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_matrix=MATRIX, test_broken="def test_(:\n")
    return pytester.path


def test_every_recording_path_classifies_the_matrix_the_same(
        matrix: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    # The baseline's session: the JSON-lines recorder and the coverage plugin, together.
    lines, cov = matrix / "outcomes.jsonl", matrix / "localize.jsonl"
    for name, value in {REPORT_ENV: str(lines), COVERAGE_OUT_ENV: str(cov),
                        COVERAGE_SOURCE_ENV: str(matrix), COVERAGE_LIMIT_ENV: "0",
                        **LIMITS.to_env()}.items():
        monkeypatch.setenv(name, value)
    pytester.runpytest_subprocess("-p", "pytest_agent._collector", "-p", "pytest_agent._timeout",
                                  "-p", "pytest_agent.localize._covplugin", *ARGS, timeout=120)
    json_lines = read_records(lines)
    coverage_plugin = [
        {"when": "collect", "outcome": "error", **r} if r["kind"] == "collect-error" else r
        for r in read_records(cov) if r["kind"] in ("report", "collect-error")]
    # A candidate session in a validation worker: records in memory.
    monkeypatch.delenv(REPORT_ENV)
    monkeypatch.delenv(COVERAGE_OUT_ENV)
    with WorkerPool(matrix, matrix, 1, limits=LIMITS) as pool:
        candidate = pool.run({}, ARGS, 120)
    in_memory = list(candidate.records)
    # The same, in a validator forked from a warm test server.
    with open_pool(matrix, matrix, 1, limits=LIMITS, tests=["test_matrix.py"]) as pool:
        assert pool.forked, pool.fallback
        forked = list(pool.run({}, ARGS, 120).records)

    found: dict[str, set[tuple[str, str]]] = {}
    for r in json_lines:
        found.setdefault(r["nodeid"], set()).add((r["when"], r["outcome"]))
    assert found == EXPECTED
    assert {r["nodeid"]: r["hung"] for r in json_lines if r.get("hung")} == {
        "test_matrix.py::test_hang": "hung in spin (test_matrix.py:50)"}
    assert _shape(coverage_plugin) == _shape(json_lines)
    assert _shape(in_memory) == _shape(json_lines)
    assert _shape(forked) == _shape(json_lines)
    # The worker's tally of its records.
    assert candidate.passed == 3
    assert set(candidate.failed) == {n for n, s in EXPECTED.items()
                                     if {o for _, o in s} & {"failed", "error", "xpassed"}}
    assert candidate.outcomes == MemorySink(json_lines).outcomes
    assert candidate.outcomes["test_matrix.py::test_teardown_error"] == "error"
