"""Wall time of a whole task divided by one cold run of its accept tests.

A throw-away git repository holds one task: a one-line bug in ``src/stats.py``
(``mean`` divides by ``len(xs) + 1``), its accept test and six other tests in
``tests/test_stats.py``. Two projects:

* ``light``: no conftest work; a session starts in about the time pytest takes;
* ``heavy``: ``tests/conftest.py`` takes about a second to import (``time.sleep(1)``
  stands for slow imports: a sleep keeps the figure about start-up, not about how
  loaded the shared machine is). The sleep is in the conftest's own body, which pytest
  executes afresh in every new config (a conftest outside a package is re-imported);
  the warm server's forked sessions reuse the module it imported instead
  (``_compat.reuse_conftests``), fresh processes (the proof) pay it;
* ``heavy-lib``: the same second spent where a real project spends it, importing a
  library: ``tests/conftest.py`` imports ``slowlib``, which sleeps 1 s at import and
  lives outside the repository (on ``PYTHONPATH`` for every process, as an installed
  package would be). A warm server imports it once.

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

pytest-agent runs as installed, with bytecode: the package being measured is copied
into the work directory and compiled there (``compileall``), and that copy is first
on every process's ``PYTHONPATH``. A development checkout under
``PYTHONDONTWRITEBYTECODE=1`` (as on the shared machine) has no ``__pycache__``, so
every process compiled the modules of ours it imports from source: measured, 0.46 s
of CPU in a light ready task's outer process against 0.35 s with bytecode, and
~0.05 s over its inner processes; an installed wheel never pays that.

    python benchmarks/task_overhead/run.py [--rounds 5] [--modes fork,subprocess] [--compare DIR]

``--compare DIR`` measures a second ``pytest_agent`` package (another commit's, e.g.
``git archive <commit> pytest_agent | tar -x -C /tmp/old``, then ``--compare
/tmp/old/pytest_agent``) in the same rounds, each configuration paired with its own cold
run: before/after figures under the same load.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _installed import compiled_copy
from _installed import installed_copy

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


LIB_CONFTEST = """\
# The project's slow start-up is in a library it imports (see slowlib.py).
import slowlib  # noqa: F401
"""

SLOWLIB = """\
import time

# Stands for a library that takes a second to import (numpy, django, ...).
time.sleep(1.0)
"""


def make_repo(root: Path, project: str) -> None:
    for rel, text in {"src/__init__.py": "", "src/stats.py": STATS, "tests/test_stats.py": TESTS,
                      "conftest.py": ROOT_CONFTEST, "plans/bench.yaml": PLAN,
                      "pytest.ini": "[pytest]\npythonpath = .\n",
                      ".agent.yml": "max_reflexion_retries: 0\n"}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if project == "heavy":
        (root / "tests/conftest.py").write_text(HEAVY_CONFTEST)
    elif project == "heavy-lib":
        (root / "tests/conftest.py").write_text(LIB_CONFTEST)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "-c", "user.name=bench", "-c", "user.email=bench@localhost",
        "commit", "-q", "-m", "bench")


#: First on every process's ``PYTHONPATH``: the compiled copy of pytest-agent, and
#: where ``slowlib`` lives (outside every repository).
SITE: list[Path] = []


def env(extra: dict[str, str], package: Path | None = None) -> dict[str, str]:
    """The environment of a measured process; ``package``: the directory holding the
    ``pytest_agent`` to measure, instead of ``SITE[0]`` (``--compare``)."""
    e = {k: v for k, v in os.environ.items()
         if not k.startswith(("PYTEST_ADDOPTS", "AGENT_", "BENCH_"))}
    site = [package, *SITE[1:]] if package is not None else SITE
    if site:
        e["PYTHONPATH"] = os.pathsep.join(
            [*map(str, site), *([e["PYTHONPATH"]] if e.get("PYTHONPATH") else [])])
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


def timed(argv: list[str], cwd: Path, extra: dict[str, str],
          package: Path | None = None) -> tuple[float, str]:
    cpu = children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                          env=env(extra, package), timeout=900, check=False)
    LAST_CPU[0] = children_cpu() - cpu
    return time.perf_counter() - start, proc.stdout + proc.stderr


def cold_accept(repo: Path) -> float:
    """One plain pytest run of the accept tests' file (it fails: the bug is there)."""
    seconds, out = timed([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "tests/test_stats.py"], repo, {})
    if "1 failed, 6 passed" not in out:
        raise SystemExit(f"unexpected accept run:\n{out[-2000:]}")
    return seconds


def task(repo: Path, work: Path, proposer: str, mode: str, package: Path | None = None
         ) -> float:
    clone = work / f"clone-{time.monotonic_ns()}"
    git(work, "clone", "-q", str(repo), str(clone))
    extra = {"AGENT_TEST_SERVER": mode}
    if proposer == "ready":
        extra["BENCH_READY"] = "1"
    seconds, out = timed([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "--agent-run", "T-1"], clone, extra, package)
    if "1 passed" not in out:
        raise SystemExit(f"the task did not pass ({proposer}, {mode}):\n{out[-3000:]}")
    subprocess.run(["rm", "-rf", str(clone)], check=True)
    return seconds


#: (project, proposer, inner runs, package: "" for the measured one, "compare").
Key = tuple[str, str, str, str]
#: The ``--compare`` package's directory (compiled copy), when given.
COMPARE: list[Path] = []


def report(configs: list[Key], rounds: int, loads: list[float], colds: dict[str, list[float]],
           cold_cpus: dict[str, list[float]], walls: dict[Key, list[float]],
           cpus: dict[Key, list[float]], ratios: dict[Key, list[float]],
           cpu_ratios: dict[Key, list[float]]) -> None:
    """The summary and the table (medians over rounds; ratios paired within a round)."""
    med = statistics.median
    print()
    print(f"{rounds} rounds, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"1-min load average before runs: median {med(loads):.1f} "
          f"(min {min(loads):.1f}, max {max(loads):.1f})")
    for project, values in colds.items():
        print(f"cold accept run, {project}: median {med(values):.2f} s wall, "
              f"{med(cold_cpus[project]):.2f} s CPU")
    print()
    print("| project | proposer | inner runs | task wall, median | task / cold accept run, "
          "wall: median of paired ratios (min-max) | task CPU, median | same ratio, CPU |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for c in configs:
        project, proposer, mode, package = c
        mode = f"{mode} ({package})" if package else mode
        print(f"| {project} | {proposer} | {mode} | {med(walls[c]):.2f} s "
              f"| **{med(ratios[c]):.2f}x** ({min(ratios[c]):.2f}-{max(ratios[c]):.2f}) "
              f"| {med(cpus[c]):.2f} s | {med(cpu_ratios[c]):.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--modes", default="fork,subprocess")
    parser.add_argument("--projects", default="light,heavy,heavy-lib")
    parser.add_argument("--proposers", default="ready,offline")
    parser.add_argument("--compare", type=Path, default=None,
                        help="a second pytest_agent package directory (another commit's, "
                             "e.g. from git archive), measured in the same rounds")
    args = parser.parse_args()
    packages = ["", "compare"] if args.compare is not None else [""]
    configs = [(p, q, m, w) for p in args.projects.split(",") for q in args.proposers.split(",")
               for m in args.modes.split(",") for w in packages]
    ratios: dict[Key, list[float]] = {c: [] for c in configs}
    cpu_ratios: dict[Key, list[float]] = {c: [] for c in configs}
    walls: dict[Key, list[float]] = {c: [] for c in configs}
    cpus: dict[Key, list[float]] = {c: [] for c in configs}
    colds: dict[str, list[float]] = {p: [] for p in args.projects.split(",")}
    cold_cpus: dict[str, list[float]] = {p: [] for p in colds}
    loads: list[float] = []
    with tempfile.TemporaryDirectory(prefix="agent-overhead-bench-") as tmp:
        work = Path(tmp)
        (work / "site").mkdir()
        (work / "site/slowlib.py").write_text(SLOWLIB)
        SITE[:] = [installed_copy(work), work / "site"]
        print(f"measuring pytest-agent from {SITE[0]} (a compiled copy of "
              f"{Path(__import__('pytest_agent').__file__).parent})", flush=True)
        if args.compare is not None:
            COMPARE[:] = [compiled_copy(args.compare.resolve(), work / "compare")]
            print(f"compared with {COMPARE[0]} (a compiled copy of {args.compare})", flush=True)
        repos = {}
        for project in colds:
            repos[project] = work / project
            make_repo(repos[project], project)
            cold_accept(repos[project])  # warm-up: file system caches
        for r in range(args.rounds):
            order = configs if r % 2 == 0 else list(reversed(configs))
            for config in order:
                project, proposer, mode, package = config
                loads.append(os.getloadavg()[0])
                cold = cold_accept(repos[project])
                cold_cpus[project].append(LAST_CPU[0])
                wall = task(repos[project], work, proposer, mode,
                            COMPARE[0] if package else None)
                cpus[config].append(LAST_CPU[0])
                cpu_ratios[config].append(LAST_CPU[0] / cold_cpus[project][-1])
                colds[project].append(cold)
                walls[config].append(wall)
                ratios[config].append(wall / cold)
            print(f"round {r + 1} (load {os.getloadavg()[0]:.1f}): " + "  ".join(
                f"{'/'.join(filter(None, c))} {ratios[c][-1]:.2f}x" for c in configs), flush=True)
    report(configs, args.rounds, loads, colds, cold_cpus, walls, cpus, ratios, cpu_ratios)


if __name__ == "__main__":
    main()
