"""Behavioural check of the seeded corpus (benchmarks/corpus), run by hand, not in the suite.

For every program of the chosen split (each in a copy in a temp dir, four at a time):

- on the buggy program, every accept test fails, every other visible test passes, and at
  least one held-out test fails (the held-out tests see the bug too, so they can tell a
  correct repair from one that only satisfies the accept tests);
- after ``git apply fix.diff``, every visible and held-out test passes.

Five pytest subprocesses per program: too slow for the suite (tests/test_corpus.py checks
the static part of every program, and this behaviour for the tuned l*/o* programs).

``--plausible`` also tries simple single edits of the buggy program near the faulty line
(comparison, arithmetic and boolean operators, integer constants +-1, a name for another
name of the same function), as a repair engine would, and runs the visible tests on each:
an edit that passes them all is a plausible repair, and unless it is the developer's fix
(same AST) some held-out test must fail on it. Those that pass the held-out tests too are
listed for a person to judge (an edit equivalent to the fix is fine; otherwise the held-out
tests need a case). One pytest run per edit: minutes for the corpus.

    python benchmarks/corpus_check/run.py                   # study and heldout (s*, h*)
    python benchmarks/corpus_check/run.py --split tuned     # the l*/o* programs
    python benchmarks/corpus_check/run.py -k s0

It prints one line per program and no test results of the held-out programs beyond
"ok" or the problem found.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
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


_COMPARE: list[type[ast.cmpop]] = [ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq]
_ARITH: list[type[ast.operator]] = [ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod,
                                     ast.Div]
#: How far from the faulty line edits are tried (the lines of the faulty function only).
_RADIUS = 2


def _function_lines(tree: ast.Module, line: int) -> set[int]:
    """The statement lines near ``line`` inside the innermost function around it."""
    around = [node for node in ast.walk(tree)
              if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
              and node.lineno <= line <= (node.end_lineno or node.lineno)]
    if not around:
        return {line}
    inner = max(around, key=lambda node: node.lineno)
    starts = {n.lineno for n in ast.walk(inner) if isinstance(n, ast.stmt)}
    return {n for n in starts if abs(n - line) <= _RADIUS}


def _names(tree: ast.Module, lines: set[int]) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.lineno in lines}


Variant = tuple[str, tuple[str, int | None], object]


def _operator_variants(node: ast.AST) -> Iterator[Variant]:
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            for other in _COMPARE:
                if not isinstance(op, other):
                    yield f"{type(op).__name__} -> {other.__name__}", ("ops", i), other()
    elif isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in _ARITH:
        for arith in _ARITH:
            if not isinstance(node.op, arith):
                yield f"{type(node.op).__name__} -> {arith.__name__}", ("op", None), arith()
    elif isinstance(node, ast.BoolOp):
        swapped = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield f"{type(node.op).__name__} -> {type(swapped).__name__}", ("op", None), swapped


def _variants(node: ast.AST, names: set[str]) -> Iterator[Variant]:
    """(what, (attribute, index or None), new value) of each single edit of ``node``."""
    yield from _operator_variants(node)
    if isinstance(node, ast.Constant) and type(node.value) is int:
        for value in sorted({node.value - 1, node.value + 1, 0} - {node.value}):
            yield f"{node.value} -> {value}", ("value", None), value
    elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        for name in sorted(names - {node.id}):
            yield f"{node.id} -> {name}", ("id", None), name


def single_edits(source: str, line: int) -> Iterator[tuple[str, str]]:
    """(description, edited source) of the simple single edits near ``line``."""
    tree = ast.parse(source)
    lines = _function_lines(tree, line)
    names = _names(tree, lines)
    for index, node in enumerate(ast.walk(tree)):
        if getattr(node, "lineno", None) not in lines:
            continue
        for what, (attr, i), value in _variants(node, names):
            edited = copy.deepcopy(tree)
            target = list(ast.walk(edited))[index]
            if i is None:
                setattr(target, attr, value)
            else:
                getattr(target, attr)[i] = value
            yield f"line {node.lineno}: {what}", ast.unparse(edited)  # type: ignore[attr-defined]


def _passes(root: Path, folder: str) -> bool:
    proc = run_process([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                        folder], cwd=root, timeout=60)
    return proc.returncode == 0


def plausible(program: Path, tmp: Path) -> tuple[int, int, list[str]]:
    """(edits tried, edits passing the visible tests, those the held-out tests miss)."""
    meta = json.loads((program / "meta.json").read_text(encoding="utf-8"))
    root = tmp / f"{program.name}-plausible"
    shutil.copytree(program, root, ignore=shutil.ignore_patterns("__pycache__"))
    module = root / str(meta["file"])
    buggy = module.read_text(encoding="utf-8")
    run_process(["git", "apply", "fix.diff"], cwd=root, timeout=30)
    fixed = ast.dump(ast.parse(module.read_text(encoding="utf-8")))
    tried = passing = 0
    missed = []
    for what, text in single_edits(buggy, int(meta["line"])):
        if ast.dump(ast.parse(text)) == fixed:
            continue  # the developer's fix itself
        tried += 1
        module.write_text(text, encoding="utf-8")
        if _passes(root, "tests"):
            passing += 1
            if _passes(root, "heldout"):
                missed.append(what)
    module.write_text(buggy, encoding="utf-8")
    return tried, passing, missed


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--split", choices=SPLITS, default="seeded",
                        help="seeded: study and heldout (the default); all: every program")
    parser.add_argument("-k", dest="only", default="", help="only programs whose name has this")
    parser.add_argument("--plausible", action="store_true",
                        help="also try simple single edits near the fault (see above)")
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
    if args.plausible:
        with tempfile.TemporaryDirectory(prefix="corpus-plausible-") as tmp, \
                ThreadPoolExecutor(max_workers=2) as pool:
            found = list(pool.map(lambda p: plausible(p, Path(tmp)), chosen))
        for program, (tried, passing, missed) in zip(chosen, found, strict=True):
            print(f"{program.name:28} {tried:4} edits, {passing:3} pass the visible tests, "
                  f"{len(missed)} of them the held-out tests too{': ' if missed else ''}"
                  + "; ".join(missed))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
