"""What recording arcs costs the coverage run (localize/_arcs.py, issue #17).

For each bug of a localization cache (``benchmarks/localize/run.py --cache DIR``: the
materialized trees are there), the coverage run of its accept tests' files runs
``--rounds`` times with arcs (coverage.py's ``branch=True``:
``PYTEST_AGENT_COVERAGE_BRANCH=1``) and as many without (the default), alternating, in
this process. Per bug:
the median wall time and the median CPU time of the child pytest process of each kind;
overall: the median of the per-bug ratios (with / without), and the median seconds.
The machine may be shared: the CPU times and the ratios within one run are what to read.

    python benchmarks/localize/arcs_cost.py --cache /tmp/arcs-study --max-seconds 30
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from pytest_agent.localize._coverage import run_spectrum  # noqa: E402

BRANCH_ENV = "PYTEST_AGENT_COVERAGE_BRANCH"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_run(root: Path, targets: list[str], branch: bool, timeout: float) -> tuple[float, float]:
    """Wall and CPU seconds of one coverage run (CPU: the reaped child's)."""
    os.environ[BRANCH_ENV] = "1" if branch else "0"
    cpu = _children_cpu()
    run = run_spectrum(root, root, targets, timeout=timeout, per_test_limit=timeout / 4)
    if run.timed_out:
        raise TimeoutError(f"{root}: the coverage run was cut at {timeout:g} s")
    if branch != bool(run.arcs):
        raise RuntimeError(f"{root}: arcs {'missing' if branch else 'recorded'}")
    return run.duration, _children_cpu() - cpu


def measure(bug_dir: Path, rounds: int, timeout: float) -> dict[str, float] | None:
    root = bug_dir / bug_dir.name
    meta = json.loads((root / "meta.json").read_text())
    targets = list(dict.fromkeys(t.split("::", 1)[0] for t in meta["accept_tests"]))
    times: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    try:
        for i in range(2 * rounds):
            branch = i % 2 == 0
            times[branch].append(one_run(root, targets, branch, timeout))
    except TimeoutError as exc:
        print(f"skipped: {exc}", file=sys.stderr)
        return None
    out = {}
    for branch, label in ((True, "with"), (False, "without")):
        out[f"{label}_wall"] = statistics.median(w for w, _ in times[branch])
        out[f"{label}_cpu"] = statistics.median(c for _, c in times[branch])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", required=True, help="a cache of benchmarks/localize/run.py")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=30.0,
                        help="leave out bugs whose cached coverage run took longer")
    parser.add_argument("--every", type=int, default=1, help="every n-th bug of the cache")
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args()
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    sys.path.insert(0, str(HERE))
    import spectrum_cache

    rows = []
    bugs = sorted(p for p in Path(args.cache).iterdir() if (p / "spectrum.pickle").is_file())
    for bug in bugs[::args.every]:
        if spectrum_cache.load(bug / "spectrum.pickle").duration > args.max_seconds:
            continue
        found = measure(bug, args.rounds, args.timeout)
        if found is None:
            continue
        rows.append(found)
        print(f"{bug.name:26} with {found['with_wall']:6.2f} s ({found['with_cpu']:6.2f} cpu)"
              f"  without {found['without_wall']:6.2f} s ({found['without_cpu']:6.2f} cpu)",
              flush=True)
    if not rows:
        print("no bug measured")
        return 1
    for kind in ("wall", "cpu"):
        ratios = [r[f"with_{kind}"] / r[f"without_{kind}"] for r in rows if r[f"without_{kind}"]]
        with_s = statistics.median(r[f"with_{kind}"] for r in rows)
        without_s = statistics.median(r[f"without_{kind}"] for r in rows)
        print(f"{kind}: median per bug with {with_s:.2f} s, without {without_s:.2f} s;"
              f" ratio with/without: median {statistics.median(ratios):.3f}"
              f" (min {min(ratios):.3f}, max {max(ratios):.3f}) over {len(rows)} bugs,"
              f" {args.rounds} runs of each")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
