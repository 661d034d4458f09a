"""Behavioural check of the seeded corpus (benchmarks/corpus), run by hand, not in the suite.

For every program of the chosen split (each in a copy in a temp dir, four at a time):

- on the buggy program, every accept test fails, every other visible test passes, and at
  least one held-out test fails (the held-out tests see the bug too, so they can tell a
  correct repair from one that only satisfies the accept tests);
- after ``git apply fix.diff``, every visible and held-out test passes.

Five pytest subprocesses per program: too slow for the suite (tests/test_corpus.py checks
the static part of every program, and this behaviour for the tuned l*/o* programs).

    python benchmarks/corpus_check/run.py                   # study and heldout (s*, h*)
    python benchmarks/corpus_check/run.py --split tuned     # the l*/o* programs
    python benchmarks/corpus_check/run.py -k s0

It prints one line per program and no test results of the held-out programs beyond
"ok" or the problem found.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CORPUS = REPO / "benchmarks" / "corpus"
sys.path.insert(0, str(REPO))

from pytest_agent._procs import run_process  # noqa: E402
from pytest_agent._types import TestOutcome  # noqa: E402
from pytest_agent.testrun import run_tests  # noqa: E402

OK = {TestOutcome.PASSED, TestOutcome.SKIPPED, TestOutcome.XFAILED}
SPLITS = ("tuned", "study", "heldout", "seeded", "all")


def split_of(program: Path) -> str:
    """The program's split: meta.json's ``split``; the first programs (l*, o*) have none."""
    meta = json.loads((program / "meta.json").read_text(encoding="utf-8"))
    return str(meta.get("split", "tuned"))


def selected(split: str, only: str) -> list[Path]:
    wanted = {"seeded": {"study", "heldout"}, "all": {"tuned", "study", "heldout"}}.get(
        split, {split})
    return sorted(p for p in CORPUS.iterdir() if (p / "meta.json").is_file()
                  and only in p.name and split_of(p) in wanted)


def _files(root: Path, folder: str) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.glob(f"{folder}/test_*.py"))


def check(program: Path, tmp: Path) -> list[str]:
    """The problems found in ``program`` (empty: it behaves as its meta.json says)."""
    meta = json.loads((program / "meta.json").read_text(encoding="utf-8"))
    accept = {str(n) for n in meta["accept_tests"]}
    root = tmp / program.name
    shutil.copytree(program, root, ignore=shutil.ignore_patterns("__pycache__"))
    visible, heldout = _files(root, "tests"), _files(root, "heldout")
    problems = []
    buggy = run_tests(root, visible, timeout=60)
    for nodeid in sorted(accept):
        if buggy.outcomes.get(nodeid, TestOutcome.MISSING) in OK:
            problems.append(f"accept test {nodeid} passes on the buggy program")
        elif nodeid not in buggy.outcomes:
            problems.append(f"accept test {nodeid} was not collected")
    others = sorted(n for n, o in buggy.outcomes.items() if n not in accept and o not in OK)
    if others:
        problems.append(f"visible tests other than the accept tests fail on the buggy"
                        f" program: {others}")
    if not any(n not in accept for n in buggy.outcomes):
        problems.append("no visible test besides the accept tests")
    held_buggy = run_tests(root, heldout, timeout=60)
    if not held_buggy.outcomes:
        problems.append(f"held-out tests not collected: {held_buggy.output[-300:]}")
    elif all(o in OK for o in held_buggy.outcomes.values()):
        problems.append("every held-out test passes on the buggy program")
    applied = run_process(["git", "apply", "fix.diff"], cwd=root, timeout=30)
    if applied.returncode != 0:
        return [*problems, f"fix.diff does not apply: {applied.output.strip()}"]
    fixed = run_tests(root, [*visible, *heldout], timeout=60)
    bad = sorted(n for n, o in fixed.outcomes.items() if o not in OK)
    if bad or not fixed.outcomes:
        problems.append(f"failing after fix.diff: {bad or fixed.output[-300:]}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--split", choices=SPLITS, default="seeded",
                        help="seeded: study and heldout (the default); all: every program")
    parser.add_argument("-k", dest="only", default="", help="only programs whose name has this")
    args = parser.parse_args()
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ.pop("PYTEST_PLUGINS", None)
    chosen = selected(args.split, args.only)
    if not chosen:
        print(f"no program in split {args.split!r} matching {args.only!r}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="corpus-check-") as tmp, \
            ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda p: check(p, Path(tmp)), chosen))
    failed = 0
    for program, problems in zip(chosen, results, strict=True):
        print(f"{program.name:28} {'ok' if not problems else 'PROBLEM'}")
        for problem in problems:
            print(f"    {problem}")
        failed += bool(problems)
    print(f"{len(chosen) - failed}/{len(chosen)} programs behave as their meta.json says")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
