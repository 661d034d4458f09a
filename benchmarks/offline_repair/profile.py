"""Where an offline search's time goes, on real bugs of the tuned or study split.

For each bug: materialize it, run the accept tests once (the harness's baseline), the
localization, then the engine's search with the default budget, timing each phase, and
print one JSON line: baseline and localization seconds, generating and ranking the
single edits, the search's set-up (regression set, warming the validators, the sanity
run), the candidates validated and their session times (median, 90th percentile), the
candidates validated per second of search, the other test files' check for winners, the
rank of the winner, and why the search stopped.

    python benchmarks/offline_repair/profile.py semver-db55f27 tinydb-1a2b3c4
    python benchmarks/offline_repair/profile.py --split study --per-project 1

The harness makes the baseline and the localization's coverage one run (warm server);
here they are two, so their sum is an upper bound of what a task pays before the search.
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

from pytest_agent._types import Task  # noqa: E402
from pytest_agent._types import Workspace  # noqa: E402
from pytest_agent.engines.offline._engine import Known  # noqa: E402
from pytest_agent.engines.offline._engine import _evidence  # noqa: E402
from pytest_agent.engines.offline._engine import search  # noqa: E402
from pytest_agent.engines.offline._search import Suspiciousness  # noqa: E402
from pytest_agent.localize import localize_detailed  # noqa: E402
from pytest_agent.settings import AgentSettings  # noqa: E402
from pytest_agent.testrun import run_tests  # noqa: E402


def profile(bug_id: str, settings: AgentSettings) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="offline-profile-") as tmp:
        root = materialize(bug_id, Path(tmp))
        meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
        task = Task(id=bug_id, description=meta["description"],
                    accept_tests=tuple(meta["accept_tests"]))
        ws = Workspace(root=root, branch="agent/x", base_commit="0" * 40, repo_root=root)
        t0 = time.monotonic()
        baseline = run_tests(root, task.accept_tests, timeout=settings.test_timeout)
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
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("ids", nargs="*")
    parser.add_argument("--split", choices=("tuned", "study"), default="tuned")
    parser.add_argument("--per-project", type=int, default=0,
                        help="the first N bugs of each project of the split")
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
        print(json.dumps(profile(bug_id, settings)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
