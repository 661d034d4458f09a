"""Candidates per second and CPU: validators forked from the warm test server vs fresh workers.

For each of the first ``--programs`` programs of the seeded corpus, the engine's first
``--per-program`` candidates (as ``run.py --speed`` picks them, looping ones left out) are
validated, in one run, alternating, ``--runs`` times, by the pool of one search
(``offline_workers`` = cores, ``-x --tb=no`` over the accept tests, as the engine runs them):

* ``copies``: the fallback, and what every search did before #13 item 1: one fresh
  ``python -m pytest_agent.engines.offline._worker`` per core, each in a copy of the tree;
* ``task server``: validators forked from a warm test server that is already running (a
  task's, which ran the baseline): what a search inside a task does now;
* ``own server``: validators forked from a server the search starts itself (the engine
  called without a task, as in ``run.py --quality``).

Per pool: candidates per second with the pool's start included (one search of this many
candidates), in steady state (start and the first session of each validator excluded),
and the CPU seconds of the whole pool's process tree (``copies`` and ``own server``: every
process of it is reaped when the pool closes; a task server's validators are reaped by the
server, so its CPU is not measured here). Medians over runs; the verdicts of every pool
must agree.

    python benchmarks/offline_repair/validators.py [--programs 6] [--per-program 40] [--runs 3]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

from run import copy_program  # noqa: E402
from run import first_candidates  # noqa: E402
from run import programs  # noqa: E402

from pytest_agent._inner import INNER_ARGS  # noqa: E402
from pytest_agent._inner import inner_pytest_env  # noqa: E402
from pytest_agent._server import TestServer  # noqa: E402
from pytest_agent.engines.offline._pool import WorkerPool  # noqa: E402
from pytest_agent.engines.offline._pool import open_pool  # noqa: E402
from pytest_agent.engines.offline._search import Candidate  # noqa: E402
from pytest_agent.settings import AgentSettings  # noqa: E402


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(make: Callable[[], WorkerPool], cands: list[Candidate], args: list[str],
            timeout: float, size: int) -> tuple[float, float, float, list[tuple[bool, bool]]]:
    """(cand/s with start-up, cand/s steady, CPU s of the pool's tree, (ok, timed out) of
    each candidate)."""
    before = cpu()
    start = time.monotonic()
    with make() as pool:
        pool.warm(args, timeout + 3)
        started = time.monotonic()
        with cf.ThreadPoolExecutor(max_workers=size) as ex:
            results = list(ex.map(lambda c: pool.run(c.files, args, timeout), cands))
        end = time.monotonic()
        if pool.server is not None and not pool.forked:
            raise SystemExit(f"the server could not fork validators: {pool.fallback}")
    return (len(cands) / (end - start), len(cands) / (end - started), cpu() - before,
            [(r.ok, r.timed_out) for r in results])


def pools(root: Path, size: int, mutable: list[str], server: TestServer, files: list[str]
          ) -> dict[str, Callable[[], WorkerPool]]:
    return {
        "copies": lambda: WorkerPool(root, root, size, mutable=mutable),
        "task server": lambda: WorkerPool(root, root, size, mutable=mutable, server=server),
        "own server": lambda: open_pool(root, root, size, mutable=mutable, tests=files),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--programs", type=int, default=6)
    parser.add_argument("--per-program", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    settings = AgentSettings()
    size = settings.offline_workers or os.cpu_count() or 1
    kinds = ("copies", "task server", "own server")
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print("| program | candidates | " + " | ".join(
        f"{k} cand/s (steady)" for k in kinds) + " | CPU copies / own server | same verdicts |")
    print("| --- | --- | " + " | ".join("---" for _ in kinds) + " | --- | --- |")
    ratios: dict[str, list[float]] = {"task": [], "task_steady": [], "own": [], "cpu": []}
    for program in programs("")[: args.programs]:
        with tempfile.TemporaryDirectory(prefix="validators-bench-") as tmp:
            root = copy_program(program, Path(tmp))
            cands, session_args, task = first_candidates(program, root, settings,
                                                         2 * args.per_program)
            mutable = sorted({p for c in cands for p in c.files})
            timeout = settings.candidate_timeout
            files = list(dict.fromkeys(a.split("::", 1)[0] for a in task.accept_tests))
            server = TestServer()
            server.start()
            server.attach(root, root, [*INNER_ARGS, *files], inner_pytest_env(root))
            makers = pools(root, size, mutable, server, files)
            try:
                first = measure(makers["copies"], cands, session_args, timeout, size)
                # Looping candidates cost the timeout in every pool: left out.
                cands = [c for c, (_, looped) in zip(cands, first[3], strict=True)
                         if not looped][: args.per_program]
                got: dict[str, list[tuple[float, float, float, list[tuple[bool, bool]]]]] = {
                    k: [] for k in kinds}
                for _ in range(args.runs):
                    for kind in kinds:
                        got[kind].append(measure(makers[kind], cands, session_args, timeout,
                                                 size))
            finally:
                server.close()
        med = {k: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v),
                   statistics.median(r[2] for r in v)) for k, v in got.items()}
        agree = len({tuple(ok for ok, _ in r[3]) for v in got.values() for r in v}) == 1
        ratios["task"].append(med["task server"][0] / med["copies"][0])
        ratios["task_steady"].append(med["task server"][1] / med["copies"][1])
        ratios["own"].append(med["own server"][0] / med["copies"][0])
        ratios["cpu"].append(med["copies"][2] / med["own server"][2])
        print(f"| {program.name} | {len(cands)} | " + " | ".join(
            f"{med[k][0]:.1f} ({med[k][1]:.1f})" for k in kinds)
            + f" | {med['copies'][2]:.2f} s / {med['own server'][2]:.2f} s | "
            f"{'yes' if agree else 'NO'} |", flush=True)
    print()
    print(f"median ratios vs copies: task server {statistics.median(ratios['task']):.2f}x "
          f"(steady {statistics.median(ratios['task_steady']):.2f}x), own server "
          f"{statistics.median(ratios['own']):.2f}x; CPU copies / own server "
          f"{statistics.median(ratios['cpu']):.2f}x")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
