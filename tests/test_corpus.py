"""Every program of the shared benchmark corpus is consistent (format: docs/TEAM.md).

Static checks per program (files, meta.json, the faulty line inside the named
function, fix.diff applying exactly to the buggy file); then one behavioural check
over the tuned programs (l*, o*), run in parallel: on the buggy program every accept
test fails; after ``git apply fix.diff`` every visible and held-out test passes. The
study and held-out programs (s*, h*; benchmarks/corpus/README.md) get the same
behavioural check, and more, from ``benchmarks/corpus_check/run.py``, run by hand:
five pytest runs per program are too slow for the suite.
"""

from __future__ import annotations

import ast
import json
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from unidiff.patch import Hunk
from unidiff.patch import PatchSet

from pytest_agent._procs import run_process
from pytest_agent._types import TestOutcome
from pytest_agent.testrun import run_tests

CORPUS = Path(__file__).resolve().parent.parent / "benchmarks" / "corpus"
PROGRAMS = sorted(p for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []
FAULT_KINDS = {"operator", "off-by-one", "wrong-variable", "missing-condition", "wrong-return",
               "wrong-call", "swapped-args", "missing-guard", "wrong-constant", "other",
               "missing-statement", "wrong-default", "base-case", "loop-update"}
FIX_SHAPES = {"single-token", "two-token", "multi-token", "one-line", "multi-line"}
#: The split of a program by its name's first letter: l*/o* were tuned on for rounds,
#: s* may be studied, h* is run only by the lead, once (benchmarks/corpus/README.md).
SPLIT_OF_PREFIX = {"l": "tuned", "o": "tuned", "s": "study", "h": "heldout"}
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


def _split(program: Path) -> str:
    return str(_meta(program).get("split", "tuned"))


def test_corpus_is_big_enough() -> None:
    assert len([p for p in PROGRAMS if p.name.startswith("l")]) >= 20


@pytest.mark.parametrize("split", ["study", "heldout"])
def test_new_halves_are_big_and_varied(split: str) -> None:
    metas = [_meta(p) for p in PROGRAMS if _split(p) == split]
    assert len(metas) >= 18
    assert len({m["fault_kind"] for m in metas}) >= 10
    shapes = [m["fix_shape"] for m in metas]
    assert sum(s != "single-token" for s in shapes) >= len(metas) // 3, shapes


def _apply_fix(source: str, diff: str) -> tuple[str, int]:
    """``source`` patched by ``diff`` (every context and removed line must match exactly),
    and the faulty line: the first removed line, or the line a pure insertion precedes."""
    lines = source.splitlines(keepends=True)
    patch = PatchSet(diff)
    assert len(patch) == 1, "fix.diff must change exactly one file"
    out: list[str] = []
    done = 0
    faulty = 0
    for hunk in patch[0]:
        start = hunk.source_start - 1
        assert start >= done, "hunks overlap or are out of order"
        out += lines[done:start]
        expected = [ln.value for ln in hunk if ln.is_context or ln.is_removed]
        assert lines[start:start + len(expected)] == expected, f"hunk {hunk} does not apply"
        if not faulty:
            faulty = _first_changed(hunk)
        out += [ln.value for ln in hunk if ln.is_context or ln.is_added]
        done = start + len(expected)
    return "".join(out + lines[done:]), faulty


def _first_changed(hunk: Hunk) -> int:
    for ln in hunk:
        if ln.is_removed:
            return int(ln.source_line_no or 0)
        if ln.is_added:
            before = [int(c.source_line_no or 0) for c in hunk
                      if c.is_context and int(c.target_line_no or 0) < int(ln.target_line_no or 0)]
            return before[-1] + 1 if before else int(hunk.source_start)
    return 0


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_fix_applies_exactly_to_the_named_file(program: Path) -> None:
    meta = _meta(program)
    source = (program / str(meta["file"])).read_text(encoding="utf-8")
    diff = (program / "fix.diff").read_text(encoding="utf-8")
    assert PatchSet(diff)[0].path == meta["file"]
    fixed, faulty = _apply_fix(source, diff)
    assert fixed != source
    compile(fixed, str(meta["file"]), "exec")
    # meta.json's line is where the fix starts: the first line it removes or changes,
    # or for a pure insertion the line the inserted lines go before.
    assert meta["line"] == faulty, (meta["line"], faulty)


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_split_matches_the_name(program: Path) -> None:
    meta = _meta(program)
    assert SPLIT_OF_PREFIX.get(program.name[0]) == _split(program), (program.name, meta)
    if _split(program) != "tuned":
        assert meta["fix_shape"] in FIX_SHAPES
        assert set(meta) <= {"description", "file", "line", "function", "fault_kind",
                             "fix_shape", "split", "accept_tests"}, sorted(meta)


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
    # One pytest subprocess per program and state, four at a time (programs are
    # separate rootdirs whose module names may clash). The tuned programs only: the
    # others are checked by benchmarks/corpus_check/run.py (see the module docstring).
    assert sys.executable
    tuned = [p for p in PROGRAMS if _split(p) == "tuned"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda p: _check_behaviour(p, tmp_path), tuned))
    problems = [p for found in results for p in found]
    assert not problems, "\n".join(problems)
