"""What recording the origin of the wrong text costs the coverage run (issue #17, ninth round).

    python benchmarks/localize/origin_cost.py DIR TARGET [TARGET ...] [--runs 5]
        [--profiled NODEID ...]

Runs the localization's coverage run (the plugin as the harness loads it, arcs and
value records as the shared caches were built) over ``TARGET`` in the project ``DIR``
alternately with the origin capture off (``PYTEST_AGENT_LOCALIZE_ORIGINS=0``) and on,
and prints the median CPU seconds of the child processes (user + system: on a shared
machine wall time says little) and wall seconds of each, their ratio, and how many
failing tests got origins. ``--profiled`` names the accept tests (the harness gives the
return recorder to those only; default: every test). Work is done only when a
profiled test fails on a comparison: the capture of the compared operands, the
difference and the search of the test's returns. The project is only read.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pytest_agent._collector import COVERAGE_BRANCH_ENV
from pytest_agent._collector import COVERAGE_PROFILED_ENV
from pytest_agent._collector import read_records
from pytest_agent._inner import inner_pytest_env
from pytest_agent.localize._coverage import _INNER_ARGS
from pytest_agent.localize._covplugin import LIMIT_ENV
from pytest_agent.localize._covplugin import OUT_ENV
from pytest_agent.localize._covplugin import SOURCE_ENV
from pytest_agent.localize._origin import ORIGINS_ENV
from pytest_agent.localize._valuerec import VALUES_ENV


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_run(root: Path, targets: list[str], profiled: list[str], origins: bool
            ) -> tuple[float, float, int, int]:
    """CPU and wall seconds, failing tests recorded, and those with an origin."""
    with tempfile.TemporaryDirectory(prefix="origin-cost-") as tmp:
        out = Path(tmp) / "records.jsonl"
        argv = [sys.executable, "-m", "pytest", *_INNER_ARGS, "-q", "--no-header", "-rN",
                "-o", "addopts=", *targets]
        env = inner_pytest_env(root, {
            OUT_ENV: str(out), SOURCE_ENV: str(root), LIMIT_ENV: "60",
            COVERAGE_BRANCH_ENV: "1", VALUES_ENV: "1", ORIGINS_ENV: "1" if origins else "0",
            **({COVERAGE_PROFILED_ENV: "\n".join(profiled)} if profiled else {})})
        cpu, wall = _child_cpu(), time.monotonic()
        subprocess.run(argv, cwd=root, env=env, timeout=900, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cpu, wall = _child_cpu() - cpu, time.monotonic() - wall
        records = read_records(out)
    failing = [r for r in records if r.get("kind") == "exception" and "::" in r["nodeid"]]
    return cpu, wall, len(failing), sum(1 for r in failing if r.get("origins"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("targets", nargs="+")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profiled", nargs="*", default=[])
    args = parser.parse_args()
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    rows: dict[bool, list[tuple[float, float, int, int]]] = {True: [], False: []}
    for _ in range(args.runs):
        for origins in (False, True):
            rows[origins].append(one_run(args.root.resolve(), args.targets, args.profiled,
                                         origins))
    cpu = {v: statistics.median(r[0] for r in rows[v]) for v in rows}
    wall = {v: statistics.median(r[1] for r in rows[v]) for v in rows}
    print(json.dumps({
        "root": str(args.root), "targets": args.targets, "runs": args.runs,
        "failing": rows[True][0][2], "with_origin": rows[True][0][3],
        "cpu_off": round(cpu[False], 2), "cpu_on": round(cpu[True], 2),
        "cpu_ratio": round(cpu[True] / cpu[False], 3),
        "wall_off": round(wall[False], 2), "wall_on": round(wall[True], 2),
        "wall_ratio": round(wall[True] / wall[False], 3),
        "load": os.getloadavg()[0],
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
