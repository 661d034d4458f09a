"""What the value-spectrum recording costs the coverage run (issue #17, seventh round).

    python benchmarks/localize/values_cost.py DIR TARGET [TARGET ...] [--runs 5]

Runs the localization's coverage run (``localize._coverage.run_spectrum``, the
plugin as the harness loads it, every test recorded) over ``TARGET`` in the project
``DIR`` alternately with the value recorder on and off
(``PYTEST_AGENT_LOCALIZE_VALUES=0``), and prints the median CPU seconds of the child
processes (user + system: on a shared machine wall time says little) and wall
seconds of each, their ratio, and the size of the records the recorder added. The
project is only read (coverage keeps its data in memory, bytecode is not written).
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

from pytest_agent._collector import read_records
from pytest_agent._inner import inner_pytest_env
from pytest_agent.localize._coverage import _INNER_ARGS
from pytest_agent.localize._covplugin import LIMIT_ENV
from pytest_agent.localize._covplugin import OUT_ENV
from pytest_agent.localize._covplugin import SOURCE_ENV
from pytest_agent.localize._valuerec import VALUES_ENV
from pytest_agent.localize._valuerec import value_spectrum


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_run(root: Path, targets: list[str], values: bool
            ) -> tuple[float, float, int, int, int]:
    """CPU and wall seconds, tests that reported, value observations and predicates
    recorded."""
    with tempfile.TemporaryDirectory(prefix="values-cost-") as tmp:
        out = Path(tmp) / "records.jsonl"
        argv = [sys.executable, "-m", "pytest", *_INNER_ARGS, "-q", "--no-header", "-rN",
                "-o", "addopts=", *targets]
        env = inner_pytest_env(root, {OUT_ENV: str(out), SOURCE_ENV: str(root),
                                      LIMIT_ENV: "60", VALUES_ENV: "1" if values else "0"})
        cpu, wall = _child_cpu(), time.monotonic()
        subprocess.run(argv, cwd=root, env=env, timeout=900, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cpu, wall = _child_cpu() - cpu, time.monotonic() - wall
        records = read_records(out)
    tests = sum(1 for r in records if r.get("kind") == "coverage-test")
    spectrum = value_spectrum(records)
    seen = sum(len(v) for v in spectrum.tests.values()) if spectrum is not None else 0
    predicates = sum(len(v) for v in (getattr(spectrum, "predicates", None) or {}).values()) \
        if spectrum is not None else 0
    return cpu, wall, tests, seen, predicates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("targets", nargs="+")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    rows: dict[bool, list[tuple[float, float, int, int, int]]] = {True: [], False: []}
    for _ in range(args.runs):
        for values in (False, True):
            rows[values].append(one_run(args.root.resolve(), args.targets, values))
    cpu = {v: statistics.median(r[0] for r in rows[v]) for v in rows}
    wall = {v: statistics.median(r[1] for r in rows[v]) for v in rows}
    print(json.dumps({
        "root": str(args.root), "targets": args.targets, "runs": args.runs,
        "tests": rows[True][0][2], "observations": rows[True][0][3],
        "predicates": rows[True][0][4],
        "cpu_off": round(cpu[False], 2), "cpu_on": round(cpu[True], 2),
        "cpu_ratio": round(cpu[True] / cpu[False], 3),
        "wall_off": round(wall[False], 2), "wall_on": round(wall[True], 2),
        "wall_ratio": round(wall[True] / wall[False], 3),
        "load": os.getloadavg()[0],
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
