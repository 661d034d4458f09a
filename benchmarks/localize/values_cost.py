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
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from coverage_cost import alternate  # benchmarks/localize/coverage_cost.py
from coverage_cost import inner_run
from coverage_cost import ratios

from pytest_agent.localize._valuerec import VALUES_ENV
from pytest_agent.localize._valuerec import value_spectrum


def one_run(root: Path, targets: list[str], values: bool
            ) -> tuple[float, float, int, int, int]:
    """CPU and wall seconds, tests that reported, value observations and predicates
    recorded."""
    cpu, wall, records = inner_run(root, targets, {VALUES_ENV: "1" if values else "0"},
                                   "values-cost-")
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
    rows = alternate(args.runs, lambda on: one_run(args.root.resolve(), args.targets, on))
    print(json.dumps({
        "root": str(args.root), "targets": args.targets, "runs": args.runs,
        "tests": rows[True][0][2], "observations": rows[True][0][3],
        "predicates": rows[True][0][4],
        **ratios(rows),
        "load": os.getloadavg()[0],
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
