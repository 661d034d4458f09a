"""Wall time of a whole task divided by one cold run of its accept tests.

A throw-away git repository holds one task: a one-line bug in ``src/stats.py``
(``mean`` divides by ``len(xs) + 1``), its accept test and six other tests in
``tests/test_stats.py``. Two projects:

* ``light``: no conftest work; a session starts in about the time pytest takes;
* ``heavy``: ``tests/conftest.py`` takes about a second to import (``time.sleep(1)``
  stands for slow imports: a sleep keeps the figure about start-up, not about how
  loaded the shared machine is).

Two proposers:

* ``ready``: a root ``conftest.py`` implements ``pytest_agent_propose_diff`` and returns
  the fix at once (no model, no search): what is timed is the harness;
* ``offline``: that hook returns ``None`` and the embedded offline engine searches.

Each figure is the median, over rounds, of a *paired* ratio: in one round the cold
accept run (``python -m pytest tests/test_stats.py`` in the repository) and the task
(``python -m pytest --agent-run T-1`` in a fresh clone) run back to back, and the
ratio is taken within the pair, so that drift of the shared machine touches both.
Configurations alternate within a round. ``--modes`` compares the warm server
(``fork``) with today's fallback (``subprocess``: every inner run a fresh process).

Plugin autoload is off in every process (``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``,
``PYTEST_PLUGINS=pytest_agent.plugin``), as in ``benchmarks/parallel``: the dev
environment's many plugins would add ~1.5 s to every process, which is not ours.

    python benchmarks/task_overhead/run.py [--rounds 5] [--modes fork,subprocess]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STATS = """\
def mean(xs):
    return sum(xs) / (len(xs) + 1)


def spread(xs):
    return max(xs) - min(xs)
"""

TESTS = """\
from src.stats import mean, spread


def test_mean():
    assert mean([1, 2, 3]) == 2


def test_spread():
    assert spread([1, 5, 3]) == 4


def test_spread_single():
    assert spread([7]) == 0


def test_spread_negative():
    assert spread([-2, 2]) == 4


def test_spread_floats():
    assert spread([0.5, 1.5]) == 1.0


def test_spread_many():
    assert spread(list(range(100))) == 99


def test_spread_same():
    assert spread([3, 3, 3]) == 0
"""

HEAVY_CONFTEST = """\
import time

# Stands for a project's slow session start-up: plugins and libraries that take a
# second to import.
time.sleep(1.0)
"""

ROOT_CONFTEST = """\
import os

FIX = '''\\
--- a/src/stats.py
+++ b/src/stats.py
@@ -1,2 +1,2 @@
 def mean(xs):
-    return sum(xs) / (len(xs) + 1)
+    return sum(xs) / len(xs)
'''


def pytest_agent_propose_diff(task, context):
    # The ready proposer; without BENCH_READY the offline engine searches.
    return FIX if os.environ.get("BENCH_READY") else None
"""

PLAN = """\
tasks:
  - id: T-1
    description: mean() returns the arithmetic mean
    files: [src/stats.py]
    accept_tests:
      - tests/test_stats.py::test_mean
    status: pending
    attempts: 0
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True, timeout=120).stdout


def make_repo(root: Path, heavy: bool) -> None:
    for rel, text in {"src/__init__.py": "", "src/stats.py": STATS, "tests/test_stats.py": TESTS,
                      "conftest.py": ROOT_CONFTEST, "plans/bench.yaml": PLAN,
                      "pytest.ini": "[pytest]\npythonpath = .\n",
                      ".agent.yml": "max_reflexion_retries: 0\n"}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if heavy:
        (root / "tests/conftest.py").write_text(HEAVY_CONFTEST)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "-c", "user.name=bench", "-c", "user.email=bench@localhost",
        "commit", "-q", "-m", "bench")


def env(extra: dict[str, str]) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items()
         if not k.startswith(("PYTEST_ADDOPTS", "AGENT_", "BENCH_"))}
    e.pop("PYTEST_AGENT_NO_FORK", None)
    e.update({"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTEST_PLUGINS": "pytest_agent.plugin",
              "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@localhost",
              "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@localhost"})
    e.update(extra)
    return e


#: CPU seconds (user + system) of the last timed command's whole process tree.
LAST_CPU = [0.0]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], cwd: Path, extra: dict[str, str]) -> tuple[float, str]:
    cpu = children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env(extra),
                          timeout=900, check=False)
    LAST_CPU[0] = children_cpu() - cpu
    return time.perf_counter() - start, proc.stdout + proc.stderr


def cold_accept(repo: Path) -> float:
    """One plain pytest run of the accept tests' file (it fails: the bug is there)."""
    seconds, out = timed([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "tests/test_stats.py"], repo, {})
    if "1 failed, 6 passed" not in out:
        raise SystemExit(f"unexpected accept run:\n{out[-2000:]}")
    return seconds


def task(repo: Path, work: Path, proposer: str, mode: str) -> float:
    clone = work / f"clone-{time.monotonic_ns()}"
    git(work, "clone", "-q", str(repo), str(clone))
    extra = {"AGENT_TEST_SERVER": mode}
    if proposer == "ready":
        extra["BENCH_READY"] = "1"
    seconds, out = timed([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "--agent-run", "T-1"], clone, extra)
    if "1 passed" not in out:
        raise SystemExit(f"the task did not pass ({proposer}, {mode}):\n{out[-3000:]}")
    subprocess.run(["rm", "-rf", str(clone)], check=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--modes", default="fork,subprocess")
    parser.add_argument("--projects", default="light,heavy")
    parser.add_argument("--proposers", default="ready,offline")
    args = parser.parse_args()
    configs = [(p, q, m) for p in args.projects.split(",") for q in args.proposers.split(",")
               for m in args.modes.split(",")]
    ratios: dict[tuple[str, str, str], list[float]] = {c: [] for c in configs}
    cpu_ratios: dict[tuple[str, str, str], list[float]] = {c: [] for c in configs}
    walls: dict[tuple[str, str, str], list[float]] = {c: [] for c in configs}
    colds: dict[str, list[float]] = {p: [] for p in args.projects.split(",")}
    loads: list[float] = []
    with tempfile.TemporaryDirectory(prefix="agent-overhead-bench-") as tmp:
        work = Path(tmp)
        repos = {}
        for project in colds:
            repos[project] = work / project
            make_repo(repos[project], heavy=project == "heavy")
            cold_accept(repos[project])  # warm-up: file system caches
        for r in range(args.rounds):
            order = configs if r % 2 == 0 else list(reversed(configs))
            for config in order:
                project, proposer, mode = config
                loads.append(os.getloadavg()[0])
                cold = cold_accept(repos[project])
                cold_cpu = LAST_CPU[0]
                wall = task(repos[project], work, proposer, mode)
                cpu_ratios[config].append(LAST_CPU[0] / cold_cpu)
                colds[project].append(cold)
                walls[config].append(wall)
                ratios[config].append(wall / cold)
            print(f"round {r + 1}: " + "  ".join(
                f"{'/'.join(c)} {ratios[c][-1]:.2f}x" for c in configs), flush=True)
    print()
    print(f"{args.rounds} rounds, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"1-min load average before runs: median {statistics.median(loads):.1f} "
          f"(min {min(loads):.1f}, max {max(loads):.1f})")
    for project, values in colds.items():
        print(f"cold accept run, {project}: median {statistics.median(values):.2f} s")
    print()
    print("| project | proposer | inner runs | task wall, median | task / cold accept run, "
          "wall: median of paired ratios (min-max) | same, CPU |")
    print("| --- | --- | --- | --- | --- | --- |")
    for c in configs:
        project, proposer, mode = c
        med = statistics.median(ratios[c])
        print(f"| {project} | {proposer} | {mode} | {statistics.median(walls[c]):.2f} s "
              f"| **{med:.2f}x** ({min(ratios[c]):.2f}-{max(ratios[c]):.2f}) "
              f"| {statistics.median(cpu_ratios[c]):.2f}x |")


if __name__ == "__main__":
    main()
