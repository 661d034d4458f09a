"""Where an offline search's time goes, on real bugs of the tuned or study split.

For each bug: materialize it and run what the harness runs, the way it runs it (the
task's warm test server, one baseline run of the accept tests' files that also records
localization's coverage, the regression set read from it, the localization, then the
engine's search with the default budget, its validators forked from the task's server),
timing each phase, and print one JSON line: baseline and localization seconds,
generating and ranking the single edits, the search's set-up and its parts (opening the
pool, a regression run when the set is unknown, warming the validators, the sanity run),
the candidates validated and their session times (median, 90th percentile), the
candidates validated per second of search, the other test files' check for winners, the
rank of the winner, and why the search stopped.

    python benchmarks/offline_repair/profile.py semver-db55f27 tinydb-1a2b3c4
    python benchmarks/offline_repair/profile.py --split study --per-project 1

``--cold``: the profile of the previous round (no task server, a baseline of the accept
tests only, so the search runs the regression set itself and starts a server of its own).
Never the held-out split.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
REAL_BUGS = REPO / "benchmarks" / "real_bugs"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REAL_BUGS))

from materialize import load_manifest  # noqa: E402
from materialize import materialize  # noqa: E402

from pytest_agent import regression  # noqa: E402
from pytest_agent._server import TaskTests  # noqa: E402
from pytest_agent._types import Task  # noqa: E402
from pytest_agent._types import TestRun  # noqa: E402
from pytest_agent._types import Workspace  # noqa: E402
from pytest_agent.engines.offline._engine import Known  # noqa: E402
from pytest_agent.engines.offline._engine import _evidence  # noqa: E402
from pytest_agent.engines.offline._engine import search  # noqa: E402
from pytest_agent.engines.offline._search import Suspiciousness  # noqa: E402
from pytest_agent.localize import localize_detailed  # noqa: E402
from pytest_agent.settings import AgentSettings  # noqa: E402
from pytest_agent.testrun import run_baseline  # noqa: E402
from pytest_agent.testrun import run_tests  # noqa: E402


def _baseline(task: Task, root: Path, settings: AgentSettings, tests: TaskTests | None,
              ) -> tuple[Task, TestRun]:
    """The harness's baseline (with a task server) or the accept tests alone (cold)."""
    if tests is None:
        return task, run_tests(root, task.accept_tests, timeout=settings.test_timeout)
    tests.attach(root, root, regression.baseline_targets(task))
    baseline = run_baseline(root, root, regression.baseline_targets(task),
                            timeout=settings.test_timeout, profiled=task.accept_tests,
                            arcs=settings.localize_arc_weight > 0)
    return regression.resolve(task, baseline), baseline


def profile(bug_id: str, settings: AgentSettings, cold: bool = False) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="offline-profile-") as tmp:
        root = materialize(bug_id, Path(tmp))
        meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
        task = Task(id=bug_id, description=meta["description"],
                    accept_tests=tuple(meta["accept_tests"]))
        ws = Workspace(root=root, branch="agent/x", base_commit="0" * 40, repo_root=root)
        tests = None if cold else TaskTests.open(settings)
        try:
            return _profile(task, ws, settings, tests)
        finally:
            if tests is not None:
                tests.close()


def _profile(task: Task, ws: Workspace, settings: AgentSettings, tests: TaskTests | None,
         ) -> dict[str, object]:
    root = ws.root
    bug_id = task.id
    t0 = time.monotonic()
    task, baseline = _baseline(task, root, settings, tests)
    t1 = time.monotonic()
    found = localize_detailed(task, ws, baseline, settings)
    t2 = time.monotonic()
    susp = Suspiciousness.from_locations(found.functions, found.lines,
                                         set(task.accept_test_files))
    report = search(root, root, susp, task.accept_tests, list(baseline.failing),
                    previous_diffs=(), settings=settings,
                    deadline=t2 + settings.offline_time_budget,
                    known=Known.of(task, baseline),
                    evidence=_evidence(baseline, task.accept_tests))
    runs = sorted(report.run_times)
    searching = report.duration - report.rank_time - report.setup_time
    return {
        "id": bug_id, "baseline_s": round(t1 - t0, 1), "localize_s": round(t2 - t1, 1),
        "rank_s": round(report.rank_time, 2), "setup_s": round(report.setup_time, 1),
        "search_s": round(searching, 1), "others_s": round(report.others_time, 1),
        "validated": report.validated, "generated": report.generated,
        "per_s": round(report.validated / searching, 1) if searching > 0 else None,
        "run_median_s": round(statistics.median(runs), 3) if runs else None,
        "run_p90_s": round(runs[int(0.9 * (len(runs) - 1))], 3) if runs else None,
        "hung": report.hung, "stopped_by": report.stopped_by,
        "winner": report.winner.description if report.winner else None,
        "plausible_only": report.plausible_only, "rejected": report.rejected_count,
        "setup_parts": {k: round(v, 1) for k, v in getattr(report, "setup_parts", {}).items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("ids", nargs="*")
    parser.add_argument("--split", choices=("tuned", "study"), default="tuned")
    parser.add_argument("--per-project", type=int, default=0,
                        help="the first N bugs of each project of the split")
    parser.add_argument("--cold", action="store_true",
                        help="no task server, a baseline of the accept tests only")
    args = parser.parse_args()
    bugs = load_manifest(split=args.split)
    if args.ids:
        selected = [b.id for b in bugs if b.id in args.ids]
    else:
        per: dict[str, int] = {}
        selected = []
        for b in bugs:
            if per.get(b.project, 0) < args.per_project:
                per[b.project] = per.get(b.project, 0) + 1
                selected.append(b.id)
    settings = AgentSettings()
    for bug_id in selected:
        print(json.dumps(profile(bug_id, settings, args.cold)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
