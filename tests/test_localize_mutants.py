"""The mutation-based localization signal (issue #17, ``localize/_mutants.py``): real
projects in tmp dirs, real coverage runs, real validators (forks of a test server, or
fresh workers in copies)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_agent.localize._mutants import MutantOutcome
from pytest_agent.localize._mutants import Target
from pytest_agent.localize._mutants import plan_mutants
from pytest_agent.localize._mutants import run_mutants
from pytest_agent.settings import AgentSettings
from tests.test_localize import Project

# ``report`` is the entry point the failing test calls; ``_scale``, below it, holds the
# fault. Only the failing test runs either (Ochiai 1.0 for both); the ranking puts the
# function called on the failing line first.
REPORT = """\
def _scale(values, factor):
    out = []
    for v in values:
        out.append(v * factor + 1)
    return out


def report(values):
    scaled = _scale(values, 2)
    return ", ".join(str(v) for v in scaled)


def total(values):
    return sum(values)
"""

REPORT_TESTS = """\
from report import report, total


def test_report():
    assert report([1, 2]) == "2, 4"


def test_total():
    assert total([1, 2]) == 3
"""

ACCEPT = "tests/test_report.py::test_report"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "proj"
    root.mkdir()
    proj = Project(root)
    proj.write("pytest.ini", "[pytest]\n")
    proj.write("report.py", REPORT)
    proj.write("tests/test_report.py", REPORT_TESTS)
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True, timeout=30)
    subprocess.run([*git, "add", "-A"], check=True, timeout=30)
    subprocess.run([*git, "commit", "-qm", "base"], check=True, timeout=30)
    return proj


def _status(root: Path) -> str:
    return subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--ignored"],
                          capture_output=True, text=True, check=True, timeout=30).stdout


def _top(found: object) -> list[str]:
    return [loc.function for loc in found.functions[:2]]  # type: ignore[attr-defined]


def test_without_the_signal_the_entry_point_leads(project: Project) -> None:
    found = project.localize(project.task(ACCEPT), AgentSettings(localize_mutation_seconds=0))
    assert _top(found) == ["report", "_scale"]
    assert "mutation" not in found.method


@pytest.mark.parametrize("server", ["auto", "subprocess"])
def test_mutants_put_the_faulty_worker_first_and_write_nothing(project: Project,
                                                                server: str) -> None:
    before = (project.root / "report.py").read_bytes()
    settings = AgentSettings(localize_mutation_seconds=60, test_server=server)
    found = project.localize(project.task(ACCEPT), settings)
    assert _top(found) == ["_scale", "report"]
    assert found.method.endswith("+mutation")
    top = found.functions[0]
    evidence = [e for e in top.evidence if e.startswith("mutation")]
    # The mutant that removes the stray ``+ 1`` makes the failing test pass.
    assert evidence and "made test_report pass" in evidence[0]
    assert top.line == 4
    # The worktree is never written: validators see a mutant through an import hook
    # (forks of a server) or in their private copy (fresh workers).
    assert _status(project.root) == ""
    assert (project.root / "report.py").read_bytes() == before


def test_mutants_are_bounded_deterministic_and_compile(project: Project) -> None:
    targets = [Target("report.py", "_scale", (2, 3, 4, 5)), Target("report.py", "report", (9, 10))]
    first = plan_mutants(project.root, targets)
    assert first == plan_mutants(project.root, targets)
    assert first and len(first) <= 16 * len(targets)
    # Interleaved: the first mutant of each function before the second of any.
    assert [m.function for m in first[:2]] == ["_scale", "report"]
    for mutant in first:
        compile(mutant.text, mutant.path, "exec")
        assert mutant.text != REPORT


def test_the_budget_stops_the_run(project: Project) -> None:
    targets = [Target("report.py", "_scale", (2, 3, 4, 5)), Target("report.py", "report", (9, 10))]
    settings = AgentSettings(localize_mutation_seconds=0.01)
    run = run_mutants(project.root, project.root, targets, [ACCEPT],
                      ["tests/test_report.py::test_total"], settings)
    assert run.planned > 0
    assert len(run.outcomes) < run.planned
    assert run.problem  # the budget ended before a validator could run anything


def test_metallaxis_score() -> None:
    fixes = MutantOutcome("m.py", "f", 1, "x", fixed=("a", "b"))
    assert fixes.metallaxis(2) == pytest.approx(1.0)
    breaks = MutantOutcome("m.py", "f", 1, "x", fixed=("a",), broke=("c", "d", "e"))
    assert breaks.metallaxis(2) == pytest.approx(1 / (2 ** 0.5 * 2))
    # A failing test that only fails differently counts as changed_weight.
    changes = MutantOutcome("m.py", "f", 1, "x", changed=("a", "b"))
    assert changes.metallaxis(2, 0.5) == pytest.approx(0.5)
    assert MutantOutcome("m.py", "f", 1, "x", fixed=("a",), lost=True).metallaxis(1) == 0.0
