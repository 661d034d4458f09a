"""Wall time of ``pytest --agent-all`` over 20 tasks, without xdist and at ``-n 1``, ``-n 2``.

A throw-away git repository holds 20 independent tasks; task ``i`` makes
``src/m<i>.py``'s ``value()`` return ``i`` (its accept test does a little real
work, ~50 ms of CPU, so that a test run is not pure interpreter start-up). A
conftest.py proposer returns the right diff at once, so no model is involved:
what is measured is the harness (worktree, baseline run, localization, apply,
verify with tests and lint, commit, write-back) and the scheduling. Everything
else is the default.

Each run starts from a fresh clone of the repository (pending plan, no branch).
Configurations alternate within a round (A B C A B C ...) so that drift of a
shared machine touches all of them; figures are medians over the rounds.

The yardstick, measured in the same rounds: one plain ``python -m pytest`` run of
one task's accept test (``accept``), the floor of any harness that runs the tests.

Plugin autoload is off in every process (``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``,
``PYTEST_PLUGINS=pytest_agent.plugin``, xdist loaded with ``-p xdist.plugin``):
the dev environment has many pytest plugins whose import time (~1.5 s per
process) would otherwise dominate every figure and is not ours.

pytest-agent runs as installed, with bytecode: the measured package is copied into the
work directory and compiled there, and the copy is first on every process's
``PYTHONPATH`` (a checkout under ``PYTHONDONTWRITEBYTECODE=1`` has no ``__pycache__``,
and every process would compile our modules from source; see
``benchmarks/task_overhead/run.py``).

    python benchmarks/parallel/run.py [--rounds 5] [--tasks 20] [--jobs 0,1,2,L] [--compare DIR]

``--compare DIR`` measures a second ``pytest_agent`` package (another commit's, e.g.
``git archive <commit> pytest_agent | tar -x -C /tmp/old``, then ``--compare
/tmp/old/pytest_agent``) in the same rounds: before/after figures under the same load.
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

ACCEPT_TEST = """\
from src.m{i} import value


def _work():
    # About 50 ms of CPU: a test that does something, not just an import.
    total = 0
    for k in range(400_000):
        total += k % 7
    return total


def test_value():
    assert _work() > 0
    assert value() == {i}
"""

CONFTEST = """\
import os


def pytest_agent_localize(task, workspace, baseline, settings):
    # The share of localization in the harness's cost: switched off on request.
    return ((), "") if os.environ.get("BENCH_NO_LOCALIZE") else None


def pytest_agent_propose_diff(task, context):
    i = int(task.id.split("-")[1])
    return (
        f"--- a/src/m{i}.py\\n+++ b/src/m{i}.py\\n@@ -1,2 +1,2 @@\\n"
        f" def value():\\n-    return -1\\n+    return {i}\\n"
    )
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True, timeout=120).stdout


def make_repo(root: Path, tasks: int) -> None:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "src").mkdir()
    (root / "tests").mkdir()
    (root / "plans").mkdir()
    (root / "src/__init__.py").write_text("")
    plan = ["tasks:"]
    for i in range(tasks):
        (root / f"src/m{i}.py").write_text("def value():\n    return -1\n")
        (root / f"tests/test_m{i}.py").write_text(ACCEPT_TEST.format(i=i))
        plan += [f"  - id: T-{i:02d}", f"    description: value() of m{i} returns {i}",
                 f"    accept_tests: [tests/test_m{i}.py::test_value]",
                 "    status: pending", "    attempts: 0"]
    (root / "plans/bench.yaml").write_text("\n".join(plan) + "\n")
    (root / "conftest.py").write_text(CONFTEST)
    (root / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    (root / ".agent.yml").write_text("max_reflexion_retries: 0\n")
    git(root, "add", "-A")
    git(root, "-c", "user.name=bench", "-c", "user.email=bench@localhost",
        "commit", "-q", "-m", "bench")


#: First on every process's ``PYTHONPATH``: the compiled copy of pytest-agent.
SITE: list[Path] = []


def env(site: Path | None = None) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_ADDOPTS")}
    first = [site] if site is not None else SITE
    if first:
        e["PYTHONPATH"] = os.pathsep.join(
            [*map(str, first), *([e["PYTHONPATH"]] if e.get("PYTHONPATH") else [])])
    e.update({"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTEST_PLUGINS": "pytest_agent.plugin",
              "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@localhost",
              "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@localhost"})
    return e


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], cwd: Path, extra: dict[str, str] | None = None,
          site: Path | None = None) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system of the whole process tree), output."""
    cpu = children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                          env={**env(site), **(extra or {})}, timeout=1800, check=False)
    return time.perf_counter() - start, children_cpu() - cpu, proc.stdout + proc.stderr


#: Xdist workers (None: xdist not loaded; -1: not loaded and no localization).
Jobs = int | None
NO_LOCALIZE = -1
#: A configuration: which package (``None``: the measured one; else ``--compare``'s), jobs.
Config = tuple[Path | None, Jobs]


def run_agent(template: Path, work: Path, config: Config, tasks: int) -> tuple[float, float]:
    """One ``--agent-all`` run in a fresh clone."""
    site, jobs = config
    clone = work / f"clone-{time.monotonic_ns()}"
    git(work, "clone", "-q", str(template), str(clone))
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--agent-all"]
    if jobs is not None and jobs >= 0:
        argv[3:3] = ["-p", "xdist.plugin", "-n", str(jobs)]
    seconds, cpu, out = timed(argv, clone,
                              {"BENCH_NO_LOCALIZE": "1"} if jobs == NO_LOCALIZE else {}, site)
    if f"{tasks} passed" not in out:
        raise SystemExit(f"run {argv} did not pass every task:\n{out[-3000:]}")
    for line in git(clone, "worktree", "list", "--porcelain").splitlines()[1:]:
        if line.startswith("worktree "):
            raise SystemExit(f"leftover worktree: {line}")
    subprocess.run(["rm", "-rf", str(clone)], check=True)
    return seconds, cpu


def run_accept(template: Path) -> tuple[float, float]:
    """One plain pytest run of one accept test (it fails: value() is not fixed; same cost)."""
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "tests/test_m0.py::test_value"]
    seconds, cpu, _ = timed(argv, template)
    return seconds, cpu


def label(config: Config) -> str:
    site, jobs = config
    name = "no xdist, localization off" if jobs == NO_LOCALIZE else \
        "no xdist" if jobs is None else f"-n {jobs}"
    return name if site is None else f"{name} (compare)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--jobs", default="0,1,2,L",
                        help="comma list; 0: xdist not loaded; L: 0 with localization off")
    parser.add_argument("--compare", type=Path, default=None,
                        help="a second pytest_agent package directory (another commit's, "
                             "e.g. from git archive), measured in the same rounds")
    args = parser.parse_args()
    jobs: list[Jobs] = [None if j == "0" else NO_LOCALIZE if j == "L" else int(j)
                        for j in args.jobs.split(",")]
    configs: list[Config] = [(None, j) for j in jobs]
    accept: list[float] = []
    accept_cpu: list[float] = []
    loads: list[float] = []
    with tempfile.TemporaryDirectory(prefix="agent-parallel-bench-") as tmp:
        work = Path(tmp)
        SITE[:] = [installed_copy(work)]
        print(f"measuring pytest-agent from {SITE[0]} (a compiled copy of "
              f"{Path(__import__('pytest_agent').__file__).parent})", flush=True)
        if args.compare is not None:
            other = compiled_copy(args.compare.resolve(), work / "compare")
            configs += [(other, j) for j in jobs]
            print(f"compared with {other} (a compiled copy of {args.compare})", flush=True)
        times: dict[Config, list[float]] = {c: [] for c in configs}
        cpus: dict[Config, list[float]] = {c: [] for c in configs}
        template = work / "template"
        make_repo(template, args.tasks)
        run_accept(template)  # warm-up: file system caches
        for r in range(args.rounds):
            order = configs if r % 2 == 0 else list(reversed(configs))
            for config in order:
                loads.append(os.getloadavg()[0])
                wall, cpu = run_agent(template, work, config, args.tasks)
                times[config].append(wall)
                cpus[config].append(cpu)
                wall, cpu = run_accept(template)
                accept.append(wall)
                accept_cpu.append(cpu)
            row = "  ".join(f"{label(c)} {times[c][-1]:6.1f}s" for c in configs)
            print(f"round {r + 1}: {row}  (load {os.getloadavg()[0]:.1f})", flush=True)
    base = statistics.median(times[configs[0]])
    # Each configuration against its package's first configuration: the ratio of the
    # medians, and the median of the ratios within each round (same load, minutes apart).
    first = {c[0]: next(f for f in configs if f[0] == c[0]) for c in configs}
    acc, acc_cpu = statistics.median(accept), statistics.median(accept_cpu)
    print()
    print(f"{args.tasks} tasks, {args.rounds} rounds, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, 1-min load average before runs: median "
          f"{statistics.median(loads):.1f} (min {min(loads):.1f}, max {max(loads):.1f})")
    print("| configuration | wall, median (min-max) | speed-up vs first | paired per round "
          "| wall per task | CPU per task |")
    print("| --- | --- | --- | --- | --- | --- |")
    for c in configs:
        med = statistics.median(times[c])
        ref = times[first[c[0]]]
        paired = statistics.median(a / b for a, b in zip(ref, times[c], strict=True))
        print(f"| `{label(c)}` | {med:.1f} s ({min(times[c]):.1f}-{max(times[c]):.1f}) "
              f"| {statistics.median(ref) / med:.2f}x | {paired:.2f}x | {med / args.tasks:.2f} s "
              f"| {statistics.median(cpus[c]) / args.tasks:.2f} s |")
    per_task = base / args.tasks
    per_task_cpu = statistics.median(cpus[configs[0]]) / args.tasks
    print()
    print(f"accept test alone (one plain pytest process), median: {acc:.2f} s wall, "
          f"{acc_cpu:.2f} s CPU")
    print(f"harness per task ({label(configs[0])}), median: {per_task:.2f} s wall "
          f"= {per_task / acc:.1f}x one accept-test run; {per_task_cpu:.2f} s CPU "
          f"= {per_task_cpu / acc_cpu:.1f}x (the loop runs the accept tests twice: before "
          "and after the change)")


if __name__ == "__main__":
    main()
