"""The localization benchmark over the seeded corpus (benchmarks/corpus, issue #5): where
each program's seeded fault (meta.json: file, line, function) lands in the ranking, and what
localization costs against one plain pytest run of the same test files (run.py's
docstring)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from topk import KS
from topk import top

from pytest_agent._procs import run_process
from pytest_agent._types import Task
from pytest_agent._types import Workspace
from pytest_agent.localize import localize_detailed
from pytest_agent.settings import AgentSettings
from pytest_agent.testrun import inner_pytest_env
from pytest_agent.testrun import run_tests

__all__ = ["Result", "main_seeded", "measure", "programs", "report"]

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "corpus"


@dataclass
class Result:
    name: str
    fault_kind: str
    line_rank: int | None
    function_rank: int | None
    method: str
    plain: float
    localize: float

    @property
    def ratio(self) -> float:
        return self.localize / self.plain


def programs(split: str = "tuned") -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if (p / "meta.json").is_file()
                  and split in ("all", json.loads((p / "meta.json").read_text()).get(
                      "split", "tuned")))


def measure(program: Path, settings: AgentSettings, runs: int) -> Result:
    meta = json.loads((program / "meta.json").read_text())
    with tempfile.TemporaryDirectory(prefix="loc-bench-") as tmp:
        root = Path(tmp) / program.name
        shutil.copytree(program, root, ignore=shutil.ignore_patterns("heldout", "fix.diff",
                                                                     "meta.json"))
        task = Task(id=program.name.replace("_", "-"), description=meta["description"],
                    accept_tests=tuple(meta["accept_tests"]))
        ws = Workspace(root=root, branch="agent/x", base_commit="0" * 40, repo_root=root)
        baseline = run_tests(root, task.accept_tests, timeout=settings.test_timeout)
        files = list(task.accept_test_files)
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files]
        env = inner_pytest_env(root)
        plain_times, loc_times = [], []
        found = None
        for _ in range(runs):
            proc = run_process(argv, cwd=root, timeout=settings.test_timeout, env=env)
            plain_times.append(proc.duration)
            start = time.monotonic()
            found = localize_detailed(task, ws, baseline, settings)
            loc_times.append(time.monotonic() - start)
        assert found is not None
    line_rank = next((i for i, loc in enumerate(found.lines, 1)
                      if loc.path == meta["file"] and loc.line == meta["line"]), None)
    function_rank = next((i for i, loc in enumerate(found.functions, 1)
                          if loc.path == meta["file"] and loc.function == meta["function"]), None)
    return Result(program.name, meta["fault_kind"], line_rank, function_rank, found.method,
                  statistics.median(plain_times), statistics.median(loc_times))


def report(results: list[Result], args: argparse.Namespace) -> str:
    ratios = [r.ratio for r in results]
    lines = [
        "# Localization benchmark",
        "",
        f"`python benchmarks/localize/run.py --runs {args.runs} --formula {args.formula}"
        + (" --autoload" if args.autoload else "") + "`"
        + ("" if args.split == "tuned" else f" (split {args.split})"),
        f"({len(results)} programs from benchmarks/corpus; Python {platform.python_version()},"
        f" {os.cpu_count()} cores; child pytest runs "
        + ("with" if args.autoload else "without") + " plugin autoload)",
        "",
        "| level | top-1 | top-3 | top-5 |",
        "| --- | --- | --- | --- |",
    ]
    for label, attr in (("line", "line_rank"), ("function", "function_rank")):
        cells = " | ".join(f"{top(results, attr, k):.0f}%" for k in KS)
        lines.append(f"| {label} | {cells} |")
    lines += [
        "",
        f"Cost of localization / one plain pytest run of the same test files: median "
        f"**{statistics.median(ratios):.2f}x** (min {min(ratios):.2f}x, max {max(ratios):.2f}x);"
        f" median plain run {statistics.median(r.plain for r in results):.2f} s, median "
        f"localization {statistics.median(r.localize for r in results):.2f} s.",
        "",
        "| program | fault kind | line rank | function rank | method | plain s | localize s |"
        " ratio |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    if args.split == "heldout":  # nobody reads the held-out programs' results one by one
        lines[-2:] = ["Per-program rows are not written for the held-out split."]
    for r in results if args.split != "heldout" else []:
        lines.append(
            f"| {r.name} | {r.fault_kind} | {r.line_rank or '-'} | {r.function_rank or '-'} | "
            f"{r.method} | {r.plain:.2f} | {r.localize:.2f} | {r.ratio:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main_seeded(args: argparse.Namespace, settings: AgentSettings) -> int:
    results = []
    for program in programs(args.split):
        if args.only not in program.name:
            continue
        r = measure(program, settings, args.runs)
        if args.split == "heldout":  # no held-out program's ranks, on the console either
            print(f"{r.name:28} ratio {r.ratio:.2f}", flush=True)
        else:
            print(f"{r.name:28} line {r.line_rank!s:>4}  function {r.function_rank!s:>4}  "
                  f"{r.method:20} ratio {r.ratio:.2f}", flush=True)
        results.append(r)
    text = report(results, args)
    print(text)
    if not args.no_write and not args.only:
        name = "RESULTS.md" if args.split == "tuned" else f"RESULTS-seeded-{args.split}.md"
        (HERE / name).write_text(text)
    return 0
