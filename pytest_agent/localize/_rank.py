"""Combine the spectrum, the tracebacks and the task's words into ranked locations.

A line's score is its SBFL suspiciousness (``[0, 1]``) plus traceback bonuses; a
function's score is the best score of its lines plus function-level bonuses. The
weights (see docs/localize.md) are fixed by reasoning, not fitted: two rules (the
explicit-``raise`` split and the lower weight of outer frames) came from reading
the misses on corpus programs l01-l20; l21-l25 were written after, untuned:

==========================================  ======  ===========================
signal                                      weight  applies to
==========================================  ======  ===========================
syntax error / error while importing        +1.0    the error's line
deepest project frame of a failing test     +0.3    that line (x share of fails)
... that frame is an explicit ``raise``     3x0.1   the raise, its ``if``, the caller
other project frames of a failing test      +0.05   each line (x share)
called on the failing line of the test      +0.15   the function (x share)
called elsewhere in a failing test          +0.05   the function (x share)
named in the task description               +0.05   the function
in the task's ``files``                     +0.02   every function of the file
==========================================  ======  ===========================

Ties are broken by the mean score of the function's executed lines (a helper run
only by failing tests beats its caller), then by the number of operators on the
line (faults live in expressions), then by path and line: the order is total and
deterministic.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import final

from pytest_agent._types import Location
from pytest_agent._types import Task
from pytest_agent._types import TestRun
from pytest_agent.localize._coverage import ExceptionRecord
from pytest_agent.localize._coverage import SpectrumRun
from pytest_agent.localize._functions import MODULE
from pytest_agent.localize._functions import FunctionSpan
from pytest_agent.localize._functions import ModuleInfo
from pytest_agent.localize._functions import read_module
from pytest_agent.localize._sbfl import Formula
from pytest_agent.localize._sbfl import suspiciousness
from pytest_agent.localize._traceback import called_names
from pytest_agent.localize._traceback import frames_from_text
from pytest_agent.localize._traceback import import_error_target
from pytest_agent.localize._traceback import statement_at

__all__ = ["Ranking", "is_test_path", "rank"]

W_IMPORT_ERROR = 1.0
W_DEEPEST_FRAME = 0.3
W_OTHER_FRAME = 0.05
W_CALLED_ON_FAILING_LINE = 0.15
W_CALLED_IN_TEST = 0.05
W_NAMED_IN_TASK = 0.05
W_TASK_FILE = 0.02

MAX_FUNCTIONS = 20
MAX_LINES = 50

_EXCLUDED_DIRS = frozenset({
    "site-packages", "dist-packages", ".venv", "venv", ".tox", ".nox", "node_modules", ".git",
    "__pycache__", "build", "dist", ".eggs",
})
_TEST_DIRS = frozenset({"tests", "test", "testing"})
_CODE_WORD = re.compile(r"`(\w+)`|\b(\w+)\(|\b(\w*_\w*)\b|\b\w+\.(\w+)\b")
_OPERATORS = (ast.BinOp, ast.BoolOp, ast.Compare, ast.UnaryOp, ast.Subscript, ast.Call,
              ast.Slice, ast.IfExp, ast.comprehension)


def is_test_path(rel: Path) -> bool:
    name = rel.name
    return (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
            or any(part in _TEST_DIRS for part in rel.parts[:-1]))


@final
@dataclass
class _FunctionScore:
    path: str
    span: FunctionSpan | None  # None: module-level code
    bonus: float = 0.0
    evidence: list[str] = field(default_factory=list)


@final
@dataclass(frozen=True)
class Ranking:
    """Both granularities of one localization, best first."""

    functions: tuple[Location, ...]
    lines: tuple[Location, ...]
    #: How the ranking was obtained (``"coverage"``, ``"traceback"``, ``"names"``).
    method: str


class _Ranker:
    def __init__(self, root: Path, test_files: Iterable[str]) -> None:
        self.root = root.resolve()
        self.test_files = {(self.root / t).resolve() for t in test_files}
        self.modules: dict[str, ModuleInfo | None] = {}
        self.line_score: dict[tuple[str, int], float] = {}
        self.line_evidence: dict[tuple[str, int], list[str]] = {}
        self.executed: dict[str, set[int]] = {}
        self.functions: dict[tuple[str, str], _FunctionScore] = {}
        self.trees: dict[str, ast.Module | None] = {}

    # -- paths -----------------------------------------------------------------

    def project_rel(self, filename: str | Path) -> str | None:
        """The root-relative path of a project source file, ``None`` for anything else."""
        path = Path(filename)
        if not path.is_absolute():
            path = self.root / path
        try:
            path = path.resolve()
            rel = path.relative_to(self.root)
        except (OSError, ValueError):
            return None
        if path.suffix != ".py" or path in self.test_files or is_test_path(rel):
            return None
        if any(part in _EXCLUDED_DIRS for part in rel.parts):
            return None
        return rel.as_posix()

    def module(self, rel: str) -> ModuleInfo | None:
        if rel not in self.modules:
            self.modules[rel] = read_module(self.root / rel)
        return self.modules[rel]

    # -- scores ----------------------------------------------------------------

    def add_line(self, rel: str, line: int, value: float, why: str) -> None:
        key = (rel, line)
        self.line_score[key] = self.line_score.get(key, 0.0) + value
        evidence = self.line_evidence.setdefault(key, [])
        if why not in evidence:
            evidence.append(why)

    def function_at(self, rel: str, line: int) -> _FunctionScore:
        info = self.module(rel)
        span = info.enclosing(line) if info is not None else None
        name = span.qualname if span is not None else MODULE
        key = (rel, name)
        if key not in self.functions:
            self.functions[key] = _FunctionScore(rel, span)
        return self.functions[key]

    def add_function(self, rel: str, span: FunctionSpan, value: float, why: str) -> None:
        key = (rel, span.qualname)
        fs = self.functions.setdefault(key, _FunctionScore(rel, span))
        fs.bonus += value
        if why not in fs.evidence:
            fs.evidence.append(why)

    def functions_named(self, name: str) -> list[tuple[str, FunctionSpan]]:
        found: list[tuple[str, FunctionSpan]] = []
        for rel in sorted(self.modules):
            info = self.modules[rel]
            if info is None:
                continue
            for span in info.by_name(name):
                if span.is_class:
                    # Calling a class runs its __init__: point there, not at the whole class.
                    init = [s for s in info.spans if s.qualname == span.qualname + ".__init__"]
                    span = init[0] if init else span
                found.append((rel, span))
        return found

    # -- the final order --------------------------------------------------------

    def ranking(self, method: str) -> Ranking:
        for rel, line in self.line_score:
            self.function_at(rel, line)
        fn_best: dict[tuple[str, str], tuple[float, int]] = {}
        fn_lines: dict[tuple[str, str], list[float]] = {}
        for (rel, line), score in self.line_score.items():
            fs = self.function_at(rel, line)
            key = (rel, fs.span.qualname if fs.span else MODULE)
            fn_lines.setdefault(key, []).append(score)
        for key, fs in self.functions.items():
            if fs.span is not None:
                executed = [n for n in self.executed.get(fs.path, ()) if fs.span.contains(n)]
                zeros = [0.0] * sum(1 for n in executed if (fs.path, n) not in self.line_score)
                fn_lines.setdefault(key, []).extend(zeros)
        mean = {k: sum(v) / len(v) for k, v in fn_lines.items() if v}
        line_rows = []
        for (rel, line), score in self.line_score.items():
            fs = self.function_at(rel, line)
            key = (rel, fs.span.qualname if fs.span else MODULE)
            total = score + fs.bonus
            line_rows.append(((-round(total, 9), -round(mean.get(key, 0.0), 9),
                               -self.complexity(rel, line), rel, line), rel, line, total, fs))
        line_rows.sort(key=lambda r: r[0])
        for _, rel, line, total, fs in line_rows:
            key = (rel, fs.span.qualname if fs.span else MODULE)
            if key not in fn_best:
                fn_best[key] = (total, line)
        lines = tuple(
            Location(path=rel, function=fs.span.qualname if fs.span else MODULE,
                     start_line=line, end_line=line, score=round(total, 6), line=line,
                     evidence=tuple(self.line_evidence.get((rel, line), ())) + tuple(fs.evidence))
            for _, rel, line, total, fs in line_rows[:MAX_LINES]
        )
        fn_rows = []
        for key, fs in self.functions.items():
            best_total, best_line = fn_best.get(key, (fs.bonus, 0))
            rel = fs.path
            if fs.span is not None:
                start, end = fs.span.start, fs.span.end
                name = fs.span.qualname
            else:
                start = end = best_line or 1
                name = MODULE
            line_ev = tuple(self.line_evidence.get((rel, best_line), ())) if best_line else ()
            loc = Location(path=rel, function=name, start_line=start, end_line=end,
                           score=round(best_total, 6), evidence=line_ev + tuple(fs.evidence),
                           line=best_line or None)
            fn_rows.append(((-round(best_total, 9), -round(mean.get(key, 0.0), 9), rel, start),
                            loc))
        fn_rows.sort(key=lambda r: r[0])
        return Ranking(tuple(loc for _, loc in fn_rows[:MAX_FUNCTIONS]), lines, method)

    def tree(self, rel: str) -> ast.Module | None:
        if rel not in self.trees:
            info = self.module(rel)
            try:
                self.trees[rel] = ast.parse("\n".join(info.lines)) if info else None
            except (SyntaxError, ValueError):
                self.trees[rel] = None
        return self.trees[rel]

    def raise_guard(self, rel: str, line: int) -> int | None:
        """For a ``raise`` statement at ``line``: the line of the ``if`` test guarding
        it (0 when unguarded); ``None`` when ``line`` holds no ``raise``."""
        tree = self.tree(rel)
        if tree is None:
            return None
        for node in ast.walk(tree):
            if isinstance(node, ast.If | ast.While):
                for child in node.body:
                    if isinstance(child, ast.Raise) and child.lineno == line:
                        return node.test.lineno
        stmt = statement_at(tree, line)
        return 0 if isinstance(stmt, ast.Raise) else None

    def complexity(self, rel: str, line: int) -> int:
        info = self.module(rel)
        if info is None or info.syntax_error is not None:
            return 0
        text = info.lines[line - 1] if 0 < line <= len(info.lines) else ""
        try:
            node = ast.parse(text.strip().rstrip(":") or "pass", mode="exec")
        except SyntaxError:
            try:
                node = ast.parse(text.strip().split(" ", 1)[-1].rstrip(":"), mode="exec")
            except SyntaxError:
                return 0
        return sum(isinstance(n, _OPERATORS) for n in ast.walk(node))


def rank(
    root: Path,
    task: Task,
    spectrum: SpectrumRun | None,
    baseline: TestRun | None,
    formula: Formula,
    test_files: Iterable[str],
    test_root: Path,
) -> Ranking:
    """Rank project code for ``task`` from the localization run (and the baseline)."""
    ranker = _Ranker(root, test_files)
    methods: list[str] = []
    failing: frozenset[str] = spectrum.failing if spectrum is not None else frozenset()
    if not failing and baseline is not None:
        failing = frozenset(baseline.failing)

    # 1. Spectrum-based scores from per-test coverage.
    if spectrum is not None and spectrum.has_coverage and failing:
        project_cov: dict[str, Mapping[str, frozenset[int]]] = {}
        for filename, per_test in spectrum.coverage.items():
            rel = ranker.project_rel(filename)
            if rel is not None:
                project_cov[rel] = per_test
                ranker.executed[rel] = set().union(*per_test.values())
        stats = suspiciousness(project_cov, spectrum.failing, spectrum.passing, formula)
        for (rel, line), st in stats.items():
            if st.score > 0:
                ranker.add_line(rel, line, st.score,
                                f"{formula} {st.score:.2f} (ef={st.ef} ep={st.ep})")
        if stats:
            methods.append("coverage")

    # 2. Tracebacks of the failing tests and collection errors.
    records = list(spectrum.exceptions) if spectrum is not None else []
    texts: dict[str, str] = {}
    if spectrum is not None:
        texts.update(spectrum.failures)
    if baseline is not None:
        for nodeid, text in baseline.failures.items():
            texts.setdefault(nodeid, text)
    if not records:
        records = [_record_from_text(nodeid, text, test_root) for nodeid, text in texts.items()]
    share = 1.0 / max(1, len(failing))
    seen_tests: set[str] = set()
    used_traceback = _traceback_signals(ranker, records, share, test_root, texts, seen_tests)
    if used_traceback:
        methods.append("traceback")
    # Failing tests without a usable traceback (a timeout, a kill): what their body calls.
    for nodeid in sorted(failing - seen_tests):
        _test_body_signal(ranker, nodeid, test_root, share)

    # 3. Names: the task's words and files.
    for rel in task.files:
        prel = ranker.project_rel(rel)
        info = ranker.module(prel) if prel else None
        if prel and info is not None:
            for span in info.spans:
                if not span.is_class:
                    ranker.add_function(prel, span, W_TASK_FILE, "in the task's files")
    _load_neighbours(ranker)
    for test_file in test_files:
        tree = _parse(Path(test_file))
        if tree is not None:
            _load_imports(ranker, tree)
    for name in sorted(_code_words(task.description)):
        for rel, span in ranker.functions_named(name):
            ranker.add_function(rel, span, W_NAMED_IN_TASK, "named in the task")
    if not methods and ranker.functions:
        methods.append("names")
    return ranker.ranking("+".join(methods) or "none")


def _record_from_text(nodeid: str, text: str, test_root: Path) -> ExceptionRecord:
    frames = tuple((str(p), n, name) for p, n, name in frames_from_text(text, test_root))
    return ExceptionRecord(nodeid=nodeid, type="", message=text[-2000:], frames=frames)


def _traceback_signals(ranker: _Ranker, records: list[ExceptionRecord], share: float,
                       test_root: Path, texts: Mapping[str, str], seen_tests: set[str]) -> bool:
    used = False
    test_trees: dict[Path, ast.Module | None] = {}
    for rec in records:
        collecting = "::" not in rec.nodeid
        if rec.syntax is not None:
            rel = ranker.project_rel(rec.syntax[0])
            if rel is not None:
                ranker.add_line(rel, rec.syntax[1], W_IMPORT_ERROR, f"{rec.type or 'SyntaxError'} "
                                f"here: {rec.message[:120]}")
                used = True
                continue
        target = import_error_target(rec.message)
        if target is not None:
            name, module, path = target
            rel = ranker.project_rel(path) if path else _module_path(ranker, module)
            info = ranker.module(rel) if rel else None
            if rel and info is not None:
                last = max(1, len(info.lines))
                fs = ranker.function_at(rel, last + 1)  # past every def: module level
                fs.bonus += W_IMPORT_ERROR * 0.5
                fs.evidence.append(f"cannot import name {name!r} from {module!r}")
                used = True
        project = [(ranker.project_rel(f), n, fname) for f, n, fname in rec.frames]
        project_frames = [(rel, n, fname) for rel, n, fname in project if rel is not None]
        if not project_frames:
            # Frames pytest only shows as text: a module that failed to import is
            # reported as a CollectError whose message holds the original traceback.
            text = rec.message + "\n" + texts.get(rec.nodeid, "")
            project = [(ranker.project_rel(f), n, fname)
                       for f, n, fname in frames_from_text(text, test_root)]
            project_frames = [(rel, n, fname) for rel, n, fname in project if rel is not None]
        if project_frames:
            used = True
            rel, n, _ = project_frames[-1]
            if collecting:
                error = _error_line(rec.message + "\n" + texts.get(rec.nodeid, "")) \
                    or f"{rec.type}: {rec.message[:100]}"
                ranker.add_line(rel, n, W_IMPORT_ERROR, f"error while importing: {error}")
            else:
                why = "the test hung here" if rec.hung else (
                    f"raised here: {rec.type}: {rec.message[:80]}".rstrip(": "))
                guard = None if rec.hung else ranker.raise_guard(rel, n)
                if guard is None:
                    ranker.add_line(rel, n, W_DEEPEST_FRAME * share, why)
                else:
                    # An explicit ``raise``: a check refused its input. Either the check
                    # is wrong (its condition) or the caller passed bad values.
                    half = W_DEEPEST_FRAME * share / 2
                    ranker.add_line(rel, n, half, why)
                    if guard:
                        ranker.add_line(rel, guard, half, "guards the raise")
                    if len(project_frames) > 1:
                        crel, cn, _ = project_frames[-2]
                        ranker.add_line(crel, cn, half, "called the check that raised")
            for rel, n, _ in project_frames[:-1]:
                ranker.add_line(rel, n, W_OTHER_FRAME * share, "in a failing test's traceback")
        # The test's own frame: what it called on the line that failed, and in its body.
        test_frames = [(Path(f), n, fname) for f, n, fname in rec.frames
                       if _in_tree(Path(f), test_root)
                       and is_test_path(Path(f).resolve().relative_to(test_root.resolve()))]
        if not test_frames or collecting:
            continue
        tpath, tline, tname = test_frames[-1]
        if tname in ("?", "<module>"):
            tname = re.sub(r"\[.*$", "", rec.nodeid.rsplit("::", 1)[-1])
        if tpath not in test_trees:
            test_trees[tpath] = _parse(tpath)
        tree = test_trees[tpath]
        if tree is None:
            continue
        seen_tests.add(rec.nodeid)
        for name in called_names(statement_at(tree, tline)):
            for rel, span in _named_in_project(ranker, name, tree):
                ranker.add_function(rel, span, W_CALLED_ON_FAILING_LINE * share,
                                    "called on the failing line of a test")
                used = True
        body = _function_node(tree, tname)
        for name in dict.fromkeys(called_names(body)):
            for rel, span in _named_in_project(ranker, name, tree):
                ranker.add_function(rel, span, W_CALLED_IN_TEST * share,
                                    "called by a failing test")
    return used


_ERROR_LINE = re.compile(r"^(?:E\s+)?(\w*(?:Error|Exception|Exit)\b.*)$", re.MULTILINE)


def _error_line(text: str) -> str:
    """The last ``XxxError: message`` line of a failure text."""
    found = _ERROR_LINE.findall(text)
    return found[-1].strip()[:160] if found else ""


def _test_body_signal(ranker: _Ranker, nodeid: str, test_root: Path, share: float) -> None:
    file_part, _, rest = nodeid.partition("::")
    if not rest:
        return
    tree = _parse(test_root / file_part)
    if tree is None:
        return
    body = _function_node(tree, re.sub(r"\[.*$", "", rest.rsplit("::", 1)[-1]))
    for name in dict.fromkeys(called_names(body)):
        for rel, span in _named_in_project(ranker, name, tree):
            ranker.add_function(rel, span, W_CALLED_IN_TEST * share, "called by a failing test")


def _load_imports(ranker: _Ranker, tree: ast.Module) -> None:
    for module in _imported_modules(tree):
        rel = _module_path(ranker, module)
        if rel is not None:
            ranker.module(rel)


def _in_tree(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (OSError, ValueError):
        return False
    return True


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None


def _function_node(tree: ast.Module, name: str) -> ast.AST | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    return None


def _imported_modules(tree: ast.Module) -> list[str]:
    mods: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            mods.append(node.module)
        elif isinstance(node, ast.Import):
            mods.extend(alias.name for alias in node.names)
    return mods


def _module_path(ranker: _Ranker, module: str) -> str | None:
    base = Path(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py",
                      Path("src") / base.with_suffix(".py"), Path("src") / base / "__init__.py"):
        rel = ranker.project_rel(ranker.root / candidate)
        if rel is not None and (ranker.root / rel).is_file():
            return rel
    return None


def _named_in_project(ranker: _Ranker, name: str, tree: ast.Module) -> list[tuple[str,
                                                                                  FunctionSpan]]:
    # Make sure the modules the test imports are known before looking names up.
    _load_imports(ranker, tree)
    return ranker.functions_named(name)


def _load_neighbours(ranker: _Ranker) -> None:
    # Modules already scored are parsed; nothing else is scanned (the tree may be big).
    for rel, _line in list(ranker.line_score):
        ranker.module(rel)


def _code_words(text: str) -> set[str]:
    words: set[str] = set()
    for m in _CODE_WORD.finditer(text):
        for group in m.groups():
            if group and len(group) > 2:
                words.add(group)
    return words
