"""More passing tests for the spectrum: tests of other files that run the tied functions.

The coverage run covers the accept tests' files only. In a larger project the failing
test runs many functions that no passing test of its file runs: they all tie at
Ochiai 1.0 (``ef = F``, ``ep = 0``) and the tie-breaks decide. Passing tests elsewhere
in the project that run the same functions are what separate the fault from the
bystanders (the SBFL literature measures spectra over the whole suite).

:func:`extra_targets` chooses them cheaply, without importing anything: the functions
tied at the top of the spectrum (a line of the highest Ochiai score: most often
``ef = F, ep = 0``, a line every counted failing test ran and no passing test), then
the project's other test files that name one of those functions (a word of the source)
or are named after its module (``test_core.py`` for ``core.py``), most names first;
inside a file, the tests (module-level ``test*`` functions, ``test*`` methods of
module-level classes) whose source names one, or the whole file when a name is used
outside them (a helper, a fixture, tests made by a factory). :func:`merge_passing`
adds what that run saw of its *passing* tests (their failures are someone else's) to
the spectrum. The run itself (:mod:`._run`) is the coverage run's, cut at a budget of
seconds (``localize_extra_tests_seconds``): the tests that finished keep their coverage.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace
from pathlib import Path
from typing import final

from pytest_agent.localize._coverage import SpectrumRun
from pytest_agent.localize._functions import ModuleInfo
from pytest_agent.localize._paths import EXCLUDED_DIRS
from pytest_agent.localize._ranker import Ranker
from pytest_agent.localize._sbfl import suspiciousness
from pytest_agent.localize._signals import project_coverage

__all__ = ["Tied", "extra_targets", "merge_passing", "tied_functions"]

#: Test files read to choose from (a bound on the cost in a very large project).
MAX_FILES = 2000
#: Test files chosen at most: the budget cuts the run anyway, this keeps its command short.
MAX_CHOSEN = 20
#: A file named after a tied function's module counts as this many named functions.
NAMED_AFTER = 3
#: Scores this close to the top tie with it.
TIE = 1e-9


@final
@dataclass(frozen=True)
class Tied:
    """The functions tied at the top of the spectrum."""

    #: Names a test would use for them (a function's or method's name, a class for
    #: its ``__init__`` and special methods).
    names: frozenset[str]
    #: Stems of their modules (a package's ``__init__.py``: the package's name).
    modules: frozenset[str]
    #: How many distinct functions tie.
    count: int


def tied_functions(run: SpectrumRun, failing: frozenset[str], source_root: Path) -> Tied:
    """The project functions holding a line of the spectrum's top Ochiai score (over
    ``run``'s coverage, ``failing`` counted as the failing tests; lines run at import
    and lines every test ran left out, as in the ranking)."""
    passing = run.passing
    ranker = Ranker(source_root, ())  # for its project files and their parsed modules
    project: dict[str, Mapping[str, frozenset[int]]] = {}
    infos: dict[str, ModuleInfo] = {}
    for rel, per_test in project_coverage(ranker, run).items():
        info = ranker.module(rel)
        if info is not None:
            infos[rel], project[rel] = info, per_test
    stats = {key: st for key, st in suspiciousness(project, failing, passing).items()
             if st.score > 0 and (st.nf or st.np or not passing)}
    top = max((st.score for st in stats.values()), default=0.0)
    functions: set[tuple[str, str]] = set()
    for (rel, line), st in sorted(stats.items()):
        span = infos[rel].enclosing(line) if st.score >= top - TIE else None
        if span is not None:
            functions.add((rel, span.qualname))
    names = {_test_name(q) for _, q in functions} - {""}
    modules = {_module_stem(Path(rel)) for rel, _ in functions}
    return Tied(frozenset(names), frozenset(modules), len(functions))


def _test_name(qualname: str) -> str:
    """What a test would call to run ``qualname``."""
    parts = [p for p in qualname.split(".") if p != "<locals>"]
    last = parts[-1]
    if last.startswith("__") and last.endswith("__"):
        return parts[-2] if len(parts) > 1 else ""
    return "" if last.startswith("<") else last


def _module_stem(rel: Path) -> str:
    return rel.parent.name if rel.name == "__init__.py" else rel.stem


def extra_targets(tied: Tied, test_root: Path, already: Iterable[str]) -> list[str]:
    """Node ids (or whole test files) of other test files that may run ``tied``'s
    functions, the most promising first; none when fewer than two functions tie (one
    alone already leads the spectrum: more passing tests could only lower it)."""
    if tied.count < 2 or not tied.names:
        return []
    done = {str((test_root / a.split("::", 1)[0]).resolve()) for a in already}
    word = re.compile(r"\b(" + "|".join(map(re.escape, sorted(tied.names))) + r")\b")
    scored: list[tuple[int, int, str, list[str]]] = []
    whole = _custom_collection(test_root)
    for path in _test_files(test_root):
        if str(path.resolve()) in done:
            continue
        found = _choose(path, test_root, word, tied.modules, whole)
        if found is not None:
            score, size, targets = found
            scored.append((-score, size, path.as_posix(), targets))
    scored.sort()
    return [t for _, _, _, targets in scored[:MAX_CHOSEN] for t in targets]


def _test_files(test_root: Path) -> Iterable[Path]:
    seen = 0
    for dirpath, dirnames, filenames in os.walk(test_root):
        dirnames[:] = sorted(d for d in dirnames
                             if d not in EXCLUDED_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")):
                seen += 1
                if seen > MAX_FILES:
                    return
                yield Path(dirpath) / name


def _choose(path: Path, test_root: Path, word: re.Pattern[str],
            modules: frozenset[str], whole: bool) -> tuple[int, int, list[str]] | None:
    """``(score, size, targets)`` of one test file, ``None`` when it names nothing tied."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    stem = path.stem.removeprefix("test_").removesuffix("_test")
    named_after = stem in modules
    mentioned = set(word.findall(text))
    if not mentioned and not named_after:
        return None
    score = len(mentioned) + (NAMED_AFTER if named_after else 0)
    rel = path.relative_to(test_root).as_posix()
    tests = None if named_after or whole else _tests_naming(text, word)
    return score, len(text), [rel] if tests is None else [f"{rel}::{t}" for t in tests]


def _tests_naming(text: str, word: re.Pattern[str]) -> list[str] | None:
    """The tests of a file whose source names a tied function; ``None`` (the whole
    file) when a name is used elsewhere than in a test or an import, or the file does
    not parse."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    lines = text.splitlines()
    chosen: list[str] = []
    for unit, node in _units(tree.body):
        source = "\n".join(lines[node.lineno - 1:node.end_lineno])
        if not word.search(source):
            continue
        if unit is None:
            return None
        chosen.append(unit)
    return chosen or None


def _units(body: list[ast.stmt]) -> Iterable[tuple[str | None, ast.stmt]]:
    """Each statement of a module with the test it is (``None``: not one pytest would
    collect under that node id); a class's statements one by one, so that a helper
    method counts as no test. A node id that pytest does not find would stop the whole
    run ("not found"): only pytest's default names are trusted (``test*`` functions,
    classes named ``Test*`` or deriving from a ``*TestCase``)."""
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield (stmt.name if stmt.name.startswith("test") else None), stmt
        elif isinstance(stmt, ast.ClassDef) and _collected_class(stmt):
            for inner in stmt.body:
                name = getattr(inner, "name", "")
                yield (f"{stmt.name}::{name}" if _is_test_def(inner) else None), inner
        else:
            yield None, stmt


def _is_test_def(stmt: ast.stmt) -> bool:
    return (isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
            and stmt.name.startswith("test"))


def _collected_class(node: ast.ClassDef) -> bool:
    bases = [ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases]
    if any(b.endswith("TestCase") for b in bases):
        return True
    return node.name.startswith("Test") and not any(
        isinstance(s, ast.FunctionDef) and s.name == "__init__" for s in node.body)


def _custom_collection(test_root: Path) -> bool:
    """The project's pytest configuration renames what is collected: only whole files
    are then safe to run."""
    for name in ("pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini"):
        try:
            text = (test_root / name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if "python_classes" in text or "python_functions" in text:
            return True
    return False


def merge_passing(run: SpectrumRun, extra: SpectrumRun) -> SpectrumRun:
    """``run`` with the passing tests of ``extra`` (that finished, with their coverage)."""
    added = extra.passing - run.outcomes.keys()
    if not added:
        return run
    coverage = {f: dict(per) for f, per in run.coverage.items()}
    for filename, per_test in extra.coverage.items():
        for nodeid, lines in per_test.items():
            if nodeid in added:
                coverage.setdefault(filename, {})[nodeid] = lines
    outcomes = {**run.outcomes, **{n: "passed" for n in sorted(added)}}
    return replace(run, outcomes=outcomes, coverage=coverage, extra_tests=len(added),
                   extra_seconds=extra.duration)

