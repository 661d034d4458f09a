"""What a validation session costs with node ids as its arguments vs the order plugin.

For each bug (tuned or study split): materialize it, start the task's test server and
run the harness's baseline (coverage included) as a task does, open the search's pool
(one validator forked from that server), then time sessions of the original code (they
stop at the first failing accept test, as most candidates do) and of the developer's fix
(every test of the regression set runs, the worst case for the plugin), alternating the
two argument styles in every round:

- ``ids``: ``-x <failing accept tests> <other accept tests> <regression set>``, one
  argument per test (the engine before the order plugin);
- ``order``: the test files, with ``-p pytest_agent.engines.offline._order`` choosing
  and ordering the same tests (the engine now).

Prints one JSON line per bug: the medians per style and case, and their ratios.

    python benchmarks/offline_repair/session_args.py semver-0309c63 --rounds 7

Never the held-out split. The machine's load moves both styles alike (alternated).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
REAL_BUGS = REPO / "benchmarks" / "real_bugs"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REAL_BUGS))

from materialize import materialize  # noqa: E402

from pytest_agent import regression  # noqa: E402
from pytest_agent._server import TaskTests  # noqa: E402
from pytest_agent._types import Task  # noqa: E402
from pytest_agent.engines.offline._engine import SESSION_ARGS  # noqa: E402
from pytest_agent.engines.offline._order import ordered_args  # noqa: E402
from pytest_agent.engines.offline._pool import WorkerPool  # noqa: E402
from pytest_agent.engines.offline._pool import open_pool  # noqa: E402
from pytest_agent.settings import AgentSettings  # noqa: E402
from pytest_agent.testrun import run_baseline  # noqa: E402


def _fixed_files(root: Path) -> dict[str, str]:
    """The developer's fix as a candidate: the changed files' new text (the tree is
    restored at once)."""
    changed = subprocess.run(["git", "apply", "--numstat", "fix.diff"], cwd=root, check=True,
                             capture_output=True, text=True, timeout=60).stdout.split("\n")
    paths = [line.split("\t")[2] for line in changed if line.count("\t") == 2]
    subprocess.run(["git", "apply", "fix.diff"], cwd=root, check=True, timeout=60)
    try:
        return {p: (root / p).read_text(encoding="utf-8") for p in paths}
    finally:
        subprocess.run(["git", "apply", "-R", "fix.diff"], cwd=root, check=True, timeout=60)


def _time(pool: WorkerPool, files: dict[str, str], args: list[str]) -> tuple[float, bool]:
    started = time.monotonic()
    result = pool.run(files, args, 60.0)
    return time.monotonic() - started, result.ok


def measure(bug_id: str, rounds: int) -> dict[str, object]:
    settings = AgentSettings()
    with tempfile.TemporaryDirectory(prefix="offline-session-args-") as tmp:
        root = materialize(bug_id, Path(tmp))
        meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
        task = Task(id=bug_id, description="", accept_tests=tuple(meta["accept_tests"]))
        fixed = _fixed_files(root)
        tests = TaskTests.open(settings)
        try:
            targets = regression.baseline_targets(task)
            tests.attach(root, root, targets)
            baseline = run_baseline(root, root, targets, timeout=settings.test_timeout,
                                    profiled=task.accept_tests,
                                    arcs=settings.localize_arc_weight > 0)
            task = regression.resolve(task, baseline)
            failing = list(dict.fromkeys(baseline.failing))
            rest = [a for a in task.accept_tests if a not in failing]
            reg = list(task.regression or ())
            styles = {"ids": ["-x", *SESSION_ARGS, *failing, *rest, *reg],
                      "order": ordered_args(SESSION_ARGS, [failing, rest, reg])}
            times: dict[str, list[float]] = {f"{s}_{c}": [] for s in styles
                                             for c in ("original", "fixed")}
            verdicts: dict[str, set[bool]] = {k: set() for k in times}
            with open_pool(root, root, 1, mutable=sorted(fixed), tests=task.accept_test_files,
                           test_server=settings.test_server) as pool:
                for args in styles.values():
                    pool.warm(args, 60.0)
                for _ in range(rounds):
                    for style, args in styles.items():
                        for case, files in (("original", {}), ("fixed", fixed)):
                            seconds, ok = _time(pool, files, args)
                            times[f"{style}_{case}"].append(seconds)
                            verdicts[f"{style}_{case}"].add(ok)
        finally:
            tests.close()
    medians = {k: statistics.median(v) for k, v in times.items()}
    return {
        "id": bug_id, "tests": len(failing) + len(rest) + len(reg), "rounds": rounds,
        **{f"{k}_s": round(v, 3) for k, v in medians.items()},
        "ratio_original": round(medians["ids_original"] / medians["order_original"], 2),
        "ratio_fixed": round(medians["ids_fixed"] / medians["order_fixed"], 2),
        "same_verdicts": all(len(v) == 1 for v in verdicts.values())
        and verdicts["ids_fixed"] == verdicts["order_fixed"]
        and verdicts["ids_original"] == verdicts["order_original"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("ids", nargs="+")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    for bug_id in args.ids:
        print(json.dumps(measure(bug_id, args.rounds)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
