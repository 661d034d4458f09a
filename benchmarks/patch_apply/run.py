"""Measure the patch engine against git apply and GNU patch on perturbed real diffs.

    python benchmarks/patch_apply/run.py              # full corpus, writes RESULTS.md
    python benchmarks/patch_apply/run.py --limit 20   # 20 base edits (x every kind)

Every case runs in a fresh temporary directory holding only the file to patch. A case
counts as *correct* when the tool succeeds and the file equals the expected bytes,
*wrong* when the file changed but differs (a tool that failed after writing part of
its change counts as wrong too), and *refused* otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

import adversarial  # noqa: E402
import corpus  # noqa: E402
import stress  # noqa: E402

from pytest_agent._types import Task  # noqa: E402
from pytest_agent.patch import apply_proposal  # noqa: E402

TOOLS = ("engine", "git apply", "git apply --recount -C1", "patch --fuzz 2")
TIMEOUT = 20.0


def _run_tool(tool: str, workdir: Path, case: corpus.Case) -> int:
    diff = workdir.parent / "proposal.diff"
    diff.write_bytes(case.text.encode())
    strip = f"-p{case.strip}"
    if tool == "git apply":
        cmd = ["git", "apply", strip, str(diff)]
    elif tool == "git apply --recount -C1":
        cmd = ["git", "apply", "--recount", "-C1", strip, str(diff)]
    else:
        cmd = ["patch", strip, "--fuzz", "2", "--batch", "--no-backup-if-mismatch",
               "--reject-file=-", "-i", str(diff)]
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(workdir.parent)}
    try:
        done = subprocess.run(cmd, cwd=workdir, capture_output=True, timeout=TIMEOUT,
                              stdin=subprocess.DEVNULL, env=env, check=False)
    except subprocess.TimeoutExpired:
        return 124
    return done.returncode


def _outcome(ok: bool, path: Path, case: corpus.Case) -> str:
    try:
        now = path.read_bytes()
    except FileNotFoundError:
        now = None
    if ok and now == case.expected:
        return "correct"
    if now != case.before:
        return "wrong"
    return "refused"


def run_case(case: corpus.Case, tools: tuple[str, ...]) -> dict[str, str]:
    results: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="patchbench-") as tmp:
        for tool in tools:
            workdir = Path(tmp) / "w"
            if workdir.exists():
                shutil.rmtree(workdir)
            target = workdir / case.base.rel
            target.parent.mkdir(parents=True)
            target.write_bytes(case.before)
            if tool == "engine":
                task = Task(id="B", description="", accept_tests=(), files=case.task_files)
                ok = apply_proposal(workdir, case.text, task=task, timeout=TIMEOUT).ok
            else:
                ok = _run_tool(tool, workdir, case) == 0
            results[tool] = _outcome(ok, target, case)
    return results


def _pct(n: int, total: int) -> str:
    return f"{100.0 * n / total:.1f}%" if total else "-"


def table(rows: list[tuple[str, dict[str, str]]], tools: tuple[str, ...]) -> str:
    by_kind: dict[str, list[dict[str, str]]] = defaultdict(list)
    for kind, res in rows:
        by_kind[kind].append(res)
    head = "| kind | cases | " + " | ".join(f"{t}: correct / refused / wrong" for t in tools)
    lines = [head + " |", "|" + " --- |" * (2 + len(tools))]
    order = [k for k in (*corpus.KINDS, *stress.KINDS) if k in by_kind] + ["**all**"]
    by_kind["**all**"] = [r for _, r in rows]
    for kind in order:
        results = by_kind[kind]
        cells = []
        for tool in tools:
            c = Counter(r[tool] for r in results)
            cells.append(f"{_pct(c['correct'], len(results))} / {c['refused']} / {c['wrong']}")
        lines.append(f"| {kind} | {len(results)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=140, help="base edits (x every kind)")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--stress", type=int, default=200, help="stress cases per kind")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--engine-only", action="store_true", help="skip git and patch")
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    parser.add_argument("--show", default="", help="print the cases of this kind our engine "
                        "did not apply correctly")
    args = parser.parse_args(argv)
    tools = ("engine",) if args.engine_only else TOOLS
    start = time.perf_counter()
    cases, skipped = corpus.build(args.limit, args.seed)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda c: run_case(c, tools), cases))
    rows = [(c.kind, r) for c, r in zip(cases, results, strict=True)]
    for case, res in zip(cases, results, strict=True):
        if res["engine"] == "wrong" or (args.show and case.kind == args.show
                                        and res["engine"] != "correct"):
            print(f"--- {res['engine']}: {case.kind} {case.base.rel} ({case.base.edit})")
            print(case.text[:3000])
    main_table = table(rows, tools)
    stress_cases = stress.build(args.stress, args.seed)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        stress_results = list(pool.map(lambda c: run_case(c, tools), stress_cases))
    stress_table = table([(c.kind, r) for c, r in zip(stress_cases, stress_results,
                                                       strict=True)], tools)
    elapsed = time.perf_counter() - start  # both corpora, not the adversarial one
    adv_rows = adversarial.run(tools)
    adv_table = adversarial.table(adv_rows, tools)
    bases = len({id(c.base) for c in cases})
    note = (f"{len(cases)} cases: {bases} real edits x {len(corpus.KINDS)} perturbation kinds "
            f"(seed {args.seed}); inapplicable combinations skipped: "
            f"{dict(skipped) or 'none'}. Run time (this and the stress corpus) {elapsed:.0f} s "
            f"on {os.cpu_count()} cores.")
    print(main_table)
    print()
    print(note)
    print()
    print(stress_table)
    print()
    print(adv_table)
    if not args.no_write and not args.engine_only:
        write_results(main_table, note, stress_table, adv_table)
    return 0


def write_results(main_table: str, note: str, stress_table: str, adv_table: str) -> None:
    text = f"""# Patch engine benchmark

Generated by `python benchmarks/patch_apply/run.py` (see `corpus.py` for how cases are
made, `adversarial.py` for the safety cases). Each cell: share applied correctly /
number refused / number applied wrongly (result bytes differ from the expected edit,
including partial application). The external tools get `-p0` for diffs without
`a/`/`b/` prefixes and `-p1` otherwise; SEARCH/REPLACE and whole-file answers are not
diffs, so they refuse them.

{note}

{main_table}

## Stress: repetitive files

Random files of 5-40 lines drawn from 9 distinct lines (see `stress.py`), a random edit,
its correct diff, then one perturbation. Repeated lines make sloppy diffs fit several
places; this is where "refuse rather than guess" is tested hardest.

{stress_table}

## Adversarial proposals

Each proposal tries to write outside the workspace, into `.git`, through a symlink,
into an accept-test file, or sends a binary or oversized patch; none may change
anything. *ESCAPED*: a file outside the workspace or under `.git` changed;
*CHANGED*: a forbidden file inside the workspace changed (an accept test, a huge file).
The tools run with `-p1` in a real git repository.

{adv_table}
"""
    (HERE / "RESULTS.md").write_text(text, "utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
