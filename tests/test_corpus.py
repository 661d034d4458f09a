"""Every program of the shared benchmark corpus is consistent (format: docs/TEAM.md).

Static checks per program (files, meta.json, the faulty line inside the named
function); then one behavioural check over the whole corpus, run in parallel:
on the buggy program every accept test fails; after ``git apply fix.diff`` every
visible and held-out test passes.
"""

from __future__ import annotations

import ast
import json
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pytest_agent._procs import run_process
from pytest_agent._types import TestOutcome
from pytest_agent.testrun import run_tests

CORPUS = Path(__file__).resolve().parent.parent / "benchmarks" / "corpus"
PROGRAMS = sorted(p for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []
FAULT_KINDS = {"operator", "off-by-one", "wrong-variable", "missing-condition", "wrong-return",
               "wrong-call", "swapped-args", "missing-guard", "wrong-constant", "other"}
OK = {TestOutcome.PASSED, TestOutcome.SKIPPED, TestOutcome.XFAILED}


def _meta(program: Path) -> dict[str, object]:
    return json.loads((program / "meta.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _spans(tree: ast.AST, prefix: str = "") -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = prefix + node.name
            found[name] = (node.lineno, node.end_lineno or node.lineno)
            inner = name + "." if isinstance(node, ast.ClassDef) else name + ".<locals>."
            found.update(_spans(node, inner))
        else:
            found.update(_spans(node, prefix))
    return found


def test_corpus_is_big_enough() -> None:
    assert len([p for p in PROGRAMS if p.name.startswith("l")]) >= 20


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_program_layout_and_meta(program: Path) -> None:
    meta = _meta(program)
    assert set(meta) >= {"description", "file", "line", "function", "fault_kind",
                         "accept_tests"}, meta
    assert meta["fault_kind"] in FAULT_KINDS
    assert isinstance(meta["description"], str) and meta["description"].strip()
    source = program / str(meta["file"])
    assert source.is_file()
    assert list((program / "tests").glob("test_*.py")), "no visible tests"
    assert list((program / "heldout").glob("test_*_heldout.py")), "no held-out tests"
    assert (program / "fix.diff").read_text().startswith("--- a/")
    accept = meta["accept_tests"]
    assert isinstance(accept, list) and accept
    assert all(isinstance(n, str) and n.startswith("tests/") and "::" in n for n in accept)
    spans = _spans(ast.parse(source.read_text(encoding="utf-8")))
    assert meta["function"] in spans, f"no function {meta['function']!r} in {source.name}"
    start, end = spans[str(meta["function"])]
    line = meta["line"]
    assert isinstance(line, int) and start <= line <= end, (line, start, end)


def _check_behaviour(program: Path, tmp: Path) -> list[str]:
    problems: list[str] = []
    meta = _meta(program)
    accept = [str(n) for n in meta["accept_tests"]]  # type: ignore[attr-defined]
    root = tmp / program.name
    shutil.copytree(program, root)
    visible = sorted(p.relative_to(root).as_posix() for p in root.glob("tests/test_*.py"))
    heldout = sorted(p.relative_to(root).as_posix() for p in root.glob("heldout/test_*.py"))
    buggy = run_tests(root, visible, timeout=60)
    for nodeid in accept:
        if buggy.outcomes.get(nodeid, TestOutcome.MISSING) in OK:
            problems.append(f"{program.name}: accept test {nodeid} passes on the buggy program")
        if nodeid not in buggy.outcomes:
            problems.append(f"{program.name}: accept test {nodeid} was not collected")
    if not any(o in OK for o in buggy.outcomes.values()):
        problems.append(f"{program.name}: no visible test passes on the buggy program")
    applied = run_process(["git", "apply", "fix.diff"], cwd=root, timeout=30)
    if applied.returncode != 0:
        return [*problems, f"{program.name}: fix.diff does not apply: {applied.output.strip()}"]
    fixed = run_tests(root, [*visible, *heldout], timeout=60)
    bad = sorted(n for n, o in fixed.outcomes.items() if o not in OK)
    if bad or not fixed.outcomes:
        problems.append(f"{program.name}: failing after fix.diff: {bad or fixed.output[-500:]}")
    if not any(n.startswith("heldout/") for n in fixed.outcomes):
        problems.append(f"{program.name}: no held-out test ran")
    return problems


def test_every_program_fails_buggy_and_passes_fixed(tmp_path: Path) -> None:
    # One pytest subprocess per program and state, four at a time: the whole corpus
    # in a few seconds (programs are separate rootdirs whose module names may clash).
    assert sys.executable
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda p: _check_behaviour(p, tmp_path), PROGRAMS))
    problems = [p for found in results for p in found]
    assert not problems, "\n".join(problems)
