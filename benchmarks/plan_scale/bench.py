"""Plan load and write-back time against plan size (#15 item 10).

    python benchmarks/plan_scale/bench.py [--mb 0.25 0.5 1] [--repeat 3]

Writes a block-style plan of about the given size (tasks like the docs' example,
with comments), then times ``load_plans`` and one ``update_task_fields`` of the
last task; medians of ``--repeat`` runs, in seconds. No assertion: the figures go
to docs/reliability.md with the machine's conditions.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pytest_agent.plan import load_plans
from pytest_agent.writeback import update_task_fields


def write_plan(path: Path, megabytes: float) -> int:
    target = int(megabytes * 1_000_000)
    parts = ["# generated plan\ntasks:\n"]
    size = len(parts[0])
    n = 0
    while size < target:
        block = (
            f"  - id: T-{n}\n"
            f'    description: "task {n}: make the function return what the test expects"\n'
            f"    files: [src/m{n}.py]\n"
            f"    accept_tests:\n      - tests/test_m{n}.py::test_f\n"
            "    # harness-owned:\n    status: pending   # pending | done\n    attempts: 0\n\n"
        )
        parts.append(block)
        size += len(block)
        n += 1
    path.write_text("".join(parts))
    return n


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'MB':>6} {'tasks':>7} {'load s':>8} {'write-back s':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        for mb in args.mb:
            plan = Path(tmp) / f"plan-{mb}.yaml"
            tasks = write_plan(plan, mb)
            last = f"T-{tasks - 1}"
            load = median_time(functools.partial(load_plans, [plan]), args.repeat)
            write = median_time(
                functools.partial(update_task_fields, plan, last,
                                  {"status": "done", "attempts": 1}),
                args.repeat,
            )
            print(f"{mb:>6} {tasks:>7} {load:>8.2f} {write:>13.2f}", flush=True)


if __name__ == "__main__":
    main()
