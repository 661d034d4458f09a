"""What the cost benchmarks of the coverage run's recorders share (``values_cost.py``,
``origin_cost.py``): one inner coverage run timed, the two settings alternated, and
their medians and ratio.

CPU is the child processes' user + system seconds: on a shared machine wall time says
little. The project is only read (coverage keeps its data in memory, bytecode is not
written).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pytest_agent._collector import read_records
from pytest_agent._inner import inner_pytest_env
from pytest_agent.localize._coverage import _INNER_ARGS
from pytest_agent.localize._covplugin import LIMIT_ENV
from pytest_agent.localize._covplugin import OUT_ENV
from pytest_agent.localize._covplugin import SOURCE_ENV

__all__ = ["alternate", "inner_run", "ratios"]

#: A row of one run: CPU seconds and wall seconds first, then the script's counts.
Row = TypeVar("Row", bound=tuple[Any, ...])


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def inner_run(root: Path, targets: list[str], env: Mapping[str, str], prefix: str
              ) -> tuple[float, float, list[dict[str, Any]]]:
    """The localization's coverage run over ``targets`` (the plugin as the harness
    loads it, 60 s per test, ``env`` added): CPU and wall seconds, and its records."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        out = Path(tmp) / "records.jsonl"
        argv = [sys.executable, "-m", "pytest", *_INNER_ARGS, "-q", "--no-header", "-rN",
                "-o", "addopts=", *targets]
        run_env = inner_pytest_env(root, {OUT_ENV: str(out), SOURCE_ENV: str(root),
                                          LIMIT_ENV: "60", **env})
        cpu, wall = _child_cpu(), time.monotonic()
        subprocess.run(argv, cwd=root, env=run_env, timeout=900, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cpu, wall = _child_cpu() - cpu, time.monotonic() - wall
        return cpu, wall, read_records(out)


def alternate(runs: int, one: Callable[[bool], Row]) -> dict[bool, list[Row]]:
    """``one(False)`` then ``one(True)``, ``runs`` times (alternated: a change of the
    machine's load falls on both); without plugin autoload, as the harness runs."""
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    rows: dict[bool, list[Row]] = {True: [], False: []}
    for _ in range(runs):
        for on in (False, True):
            rows[on].append(one(on))
    return rows


def ratios(rows: Mapping[bool, list[Row]]) -> dict[str, float]:
    """Median CPU and wall seconds off and on, and on / off."""
    cpu = {v: statistics.median(r[0] for r in rows[v]) for v in rows}
    wall = {v: statistics.median(r[1] for r in rows[v]) for v in rows}
    return {
        "cpu_off": round(cpu[False], 2), "cpu_on": round(cpu[True], 2),
        "cpu_ratio": round(cpu[True] / cpu[False], 3),
        "wall_off": round(wall[False], 2), "wall_on": round(wall[True], 2),
        "wall_ratio": round(wall[True] / wall[False], 3),
    }
