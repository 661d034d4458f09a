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
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from coverage_cost import alternate  # benchmarks/localize/coverage_cost.py
from coverage_cost import inner_run
from coverage_cost import ratios

from pytest_agent._collector import COVERAGE_BRANCH_ENV
from pytest_agent._collector import COVERAGE_PROFILED_ENV
from pytest_agent.localize._origin import ORIGINS_ENV
from pytest_agent.localize._valuerec import VALUES_ENV


def one_run(root: Path, targets: list[str], profiled: list[str], origins: bool
            ) -> tuple[float, float, int, int]:
    """CPU and wall seconds, failing tests recorded, and those with an origin."""
    cpu, wall, records = inner_run(root, targets, {
        COVERAGE_BRANCH_ENV: "1", VALUES_ENV: "1", ORIGINS_ENV: "1" if origins else "0",
        **({COVERAGE_PROFILED_ENV: "\n".join(profiled)} if profiled else {})},
        "origin-cost-")
    failing = [r for r in records if r.get("kind") == "exception" and "::" in r["nodeid"]]
    return cpu, wall, len(failing), sum(1 for r in failing if r.get("origins"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("targets", nargs="+")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profiled", nargs="*", default=[])
    args = parser.parse_args()
    rows = alternate(args.runs, lambda on: one_run(args.root.resolve(), args.targets,
                                                   args.profiled, on))
    print(json.dumps({
        "root": str(args.root), "targets": args.targets, "runs": args.runs,
        "failing": rows[True][0][2], "with_origin": rows[True][0][3],
        **ratios(rows),
        "load": os.getloadavg()[0],
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
