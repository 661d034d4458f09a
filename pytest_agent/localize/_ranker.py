"""The ranking's state: scores per line and per function, and the final total order.

Signals (:mod:`._signals`) add to a line's score or to a whole function's bonus;
:meth:`Ranker.ranking` turns them into ranked functions and lines. Ties between
functions go first against a function that only delegates (:meth:`Ranker.delegates`),
then are broken by the number of failing tests that ran them (the place that
explains more of the failures), then by the mean score of the function's executed
lines (a helper run only by failing tests beats its caller); ties between lines by
that mean, then by the number of operators on the line (faults live in
expressions); then by path and line: the order is total and deterministic.
"""

from __future__ import annotations

import ast
import builtins
import os
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import final

from pytest_agent._types import Location
from pytest_agent.localize._functions import MODULE
from pytest_agent.localize._functions import FunctionSpan
from pytest_agent.localize._functions import ModuleInfo
from pytest_agent.localize._functions import parse_file
from pytest_agent.localize._functions import read_module
from pytest_agent.localize._paths import is_excluded
from pytest_agent.localize._paths import is_test_path
from pytest_agent.localize._traceback import statement_at

__all__ = ["MAX_FUNCTIONS", "MAX_LINES", "FunctionScore", "Ranker", "Ranking", "own_statements"]

MAX_FUNCTIONS = 20
MAX_LINES = 50

#: What a thin function's one statement may not hold (see :meth:`Ranker.delegates`).
_COMPUTES = (ast.BinOp, ast.BoolOp, ast.Compare, ast.UnaryOp, ast.Subscript, ast.IfExp,
             ast.comprehension, ast.Lambda, ast.JoinedStr, ast.Await)

_OPERATORS = (ast.BinOp, ast.BoolOp, ast.Compare, ast.UnaryOp, ast.Subscript, ast.Call,
              ast.Slice, ast.IfExp, ast.comprehension)


@final
@dataclass
class FunctionScore:
    path: str
    span: FunctionSpan | None  # None: module-level code
    bonus: float = 0.0
    evidence: list[str] = field(default_factory=list)
    #: A line to mark when no line of the function has a score of its own (where a
    #: missing member of a class would go).
    mark: int | None = None

    @property
    def name(self) -> str:
        return self.span.qualname if self.span is not None else MODULE


@final
@dataclass(frozen=True)
class Ranking:
    """Both granularities of one localization, best first."""

    functions: tuple[Location, ...]
    lines: tuple[Location, ...]
    #: How the ranking was obtained (``"coverage"``, ``"traceback"``, ``"names"``).
    method: str


_LineRow = tuple[tuple[float, float, int, str, int], str, int, float, FunctionScore]


def _passes_on(func: ast.expr, params: set[str]) -> bool:
    """A call of ``func`` reaches the program's own code: a method of ``self``/``cls``
    or a module-level (not builtin) name, not a method of an argument's value."""
    while isinstance(func, ast.Attribute | ast.Call):
        func = func.value if isinstance(func, ast.Attribute) else func.func
    if not isinstance(func, ast.Name):
        return False
    if func.id in ("self", "cls"):
        return True
    return func.id not in params and not hasattr(builtins, func.id)


def own_statements(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
    """The statements of a function, not of the functions and classes inside it."""
    found: list[ast.stmt] = []
    todo: list[ast.stmt] = list(node.body)
    while todo:
        stmt = todo.pop(0)
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        found.append(stmt)
        for name in ("body", "orelse", "finalbody", "handlers"):
            todo += [s for s in getattr(stmt, name, ()) if isinstance(s, ast.stmt)]
        for handler in getattr(stmt, "handlers", ()):
            todo += handler.body
    return found


def _names_in(node: ast.AST | None) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} if node else set()


def _collector_calls(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[str, str]]:
    """``(receiver, name)`` of the calls, as whole statements, that are handed what the
    function's ``return`` is built from (see :meth:`Ranker.writers`)."""
    stmts = own_statements(node)
    returned: set[str] = set()
    for stmt in stmts:
        if isinstance(stmt, ast.Return):
            returned |= _names_in(stmt.value)
    assigns = [(t.id, stmt.value) for stmt in stmts if isinstance(stmt, ast.Assign)
               for t in stmt.targets if isinstance(t, ast.Name)]
    for _ in range(3):  # what the returned names were assigned from, a few steps back
        returned |= {n for target, value in assigns if target in returned
                     for n in _names_in(value)}
    collectors = returned - {"self", "cls"}
    for _ in range(2):  # objects made from a collector write into it
        collectors |= {target for target, value in assigns if isinstance(value, ast.Call)
                       and _names_in(value) & collectors}
    found: list[tuple[str, str]] = []
    for stmt in stmts:
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if not isinstance(call, ast.Call):
            continue
        args = [*call.args, *(k.value for k in call.keywords)]
        if not any(isinstance(a, ast.Name) and a.id in collectors for a in args):
            continue
        func = call.func
        if isinstance(func, ast.Name):
            found.append(("", func.id))
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and func.value.id in ("self", "cls"):
            found.append((func.value.id, func.attr))
    return found


class Ranker:
    def __init__(self, root: Path, test_files: Iterable[str]) -> None:
        self.root = root.resolve()
        self.test_files = {(self.root / t).resolve() for t in test_files}
        self.modules: dict[str, ModuleInfo | None] = {}
        self.line_score: dict[tuple[str, int], float] = {}
        self.line_evidence: dict[tuple[str, int], list[str]] = {}
        self.executed: dict[str, set[int]] = {}
        #: Failing tests that ran the line (SBFL's ``ef``): at equal scores, the place
        #: that explains more of the failures goes first.
        self.line_ef: dict[tuple[str, int], int] = {}
        self.functions: dict[tuple[str, str], FunctionScore] = {}
        self.trees: dict[str, ast.Module | None] = {}
        #: Test files' trees by real path, and the real path of each spelling asked for.
        self._test_trees: dict[str, ast.Module | None] = {}
        self._real_paths: dict[str, str] = {}
        self._thin: dict[tuple[str, int], bool] = {}
        self._writers: dict[tuple[str, int], list[tuple[str, FunctionSpan]]] = {}
        #: Dotted module names looked up (``_signals.module_path``) and their files.
        self.module_paths: dict[str, str | None] = {}

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
        if is_excluded(rel):
            return None
        return rel.as_posix()

    def module(self, rel: str) -> ModuleInfo | None:
        if rel not in self.modules:
            self.modules[rel] = read_module(self.root / rel)
        return self.modules[rel]

    # -- scores ----------------------------------------------------------------

    def add_line(self, rel: str, line: int, value: float, why: str, kind: str = "") -> None:
        """Add ``value`` to a line's score. ``kind`` names the signal: the weight of
        :mod:`._signals` that ``value`` is a multiple of (``"W_DEEPEST_FRAME"``), or
        ``"sbfl"``; the ranking does not read it (benchmarks/localize/fit.py does, to
        re-rank under other weights)."""
        key = (rel, line)
        self.line_score[key] = self.line_score.get(key, 0.0) + value
        evidence = self.line_evidence.setdefault(key, [])
        if why not in evidence:
            evidence.append(why)

    def function_at(self, rel: str, line: int) -> FunctionScore:
        info = self.module(rel)
        span = info.enclosing(line) if info is not None else None
        return self.function(rel, span)

    def code_function(self, filename: str, first_line: int) -> tuple[str, FunctionSpan] | None:
        """The project file and function span of a code object the inner run recorded
        (its filename and ``co_firstlineno``); None outside the project or for a class
        body."""
        rel = self.project_rel(filename)
        info = self.module(rel) if rel is not None else None
        span = info.enclosing(first_line) if info is not None else None
        if rel is None or span is None or span.is_class:
            return None
        return rel, span

    def function(self, rel: str, span: FunctionSpan | None) -> FunctionScore:
        key = (rel, span.qualname if span is not None else MODULE)
        if key not in self.functions:
            self.functions[key] = FunctionScore(rel, span)
        return self.functions[key]

    def add_function(self, rel: str, span: FunctionSpan | None, value: float, why: str,
                     kind: str = "") -> None:
        """Add ``value`` to a function's bonus; ``kind`` as for :meth:`add_line`."""
        fs = self.function(rel, span)
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

    def classes_named(self, name: str) -> list[tuple[str, FunctionSpan]]:
        """Project classes whose name (last part of the qualname) is ``name``."""
        found: list[tuple[str, FunctionSpan]] = []
        for rel in sorted(self.modules):
            info = self.modules[rel]
            if info is not None:
                found += [(rel, s) for s in info.by_name(name) if s.is_class]
        return found

    def defines(self, rel: str, cls: FunctionSpan, member: str) -> bool:
        """``cls`` (a class of module ``rel``) defines a method ``member`` in its body.

        A member that exists but refused (returned ``NotImplemented``) is not missing.
        """
        info = self.module(rel)
        wanted = f"{cls.qualname}.{member}"
        return info is not None and any(s.qualname == wanted for s in info.spans)

    def function_totals(self) -> dict[tuple[str, str], float]:
        """Each function's score so far: its best line's score plus its bonus."""
        best: dict[tuple[str, str], float] = {}
        for (rel, line), score in self.line_score.items():
            key = (rel, self.function_at(rel, line).name)
            best[key] = max(best.get(key, 0.0), score)
        return {key: best.get(key, 0.0) + fs.bonus for key, fs in self.functions.items()}

    # -- the final order --------------------------------------------------------

    def _means(self) -> dict[tuple[str, str], float]:
        fn_lines: dict[tuple[str, str], list[float]] = {}
        for (rel, line), score in self.line_score.items():
            fs = self.function_at(rel, line)
            fn_lines.setdefault((rel, fs.name), []).append(score)
        for key, fs in self.functions.items():
            if fs.span is not None:
                executed = [n for n in self.executed.get(fs.path, ()) if fs.span.contains(n)]
                zeros = [0.0] * sum(1 for n in executed if (fs.path, n) not in self.line_score)
                fn_lines.setdefault(key, []).extend(zeros)
        return {k: sum(v) / len(v) for k, v in fn_lines.items() if v}

    def _line_rows(self, mean: dict[tuple[str, str], float]) -> list[_LineRow]:
        rows: list[_LineRow] = []
        for (rel, line), score in self.line_score.items():
            fs = self.function_at(rel, line)
            total = score + fs.bonus
            rows.append(((-round(total, 9), -round(mean.get((rel, fs.name), 0.0), 9),
                          -self.complexity(rel, line), rel, line), rel, line, total, fs))
        rows.sort(key=lambda r: r[0])
        return rows

    def ranking(self, method: str) -> Ranking:
        for rel, line in list(self.line_score):
            self.function_at(rel, line)
        mean = self._means()
        line_rows = self._line_rows(mean)
        fn_best: dict[tuple[str, str], tuple[float, int]] = {}
        for _, rel, line, total, fs in line_rows:
            fn_best.setdefault((rel, fs.name), (total, line))
        lines = tuple(
            Location(path=rel, function=fs.name, start_line=line, end_line=line,
                     score=round(total, 6), line=line,
                     evidence=tuple(self.line_evidence.get((rel, line), ())) + tuple(fs.evidence))
            for _, rel, line, total, fs in line_rows[:MAX_LINES]
        )
        fn_ef: dict[tuple[str, str], int] = {}
        for (rel, line), ef in self.line_ef.items():
            key = (rel, self.function_at(rel, line).name)
            fn_ef[key] = max(fn_ef.get(key, 0), ef)
        fn_rows = []
        for key, fs in self.functions.items():
            best_total, best_line = fn_best.get(key, (fs.bonus, 0))
            loc = self._function_location(fs, best_total, best_line)
            thin = fs.span is not None and not fs.span.is_class and self.delegates(
                fs.path, fs.span)
            # A class that lacks a member the failures need (its location marks where
            # the member goes) before a function of equal score: its evidence names
            # the missing code, which has no lines (and so no ``ef``) of its own.
            lacking = fs.span is not None and fs.span.is_class and fs.mark is not None
            fn_rows.append(((-round(best_total, 9), thin, not lacking, -fn_ef.get(key, 0),
                             -round(mean.get(key, 0.0), 9), fs.path, loc.start_line), loc))
        fn_rows.sort(key=lambda r: r[0])
        return Ranking(tuple(loc for _, loc in fn_rows[:MAX_FUNCTIONS]), lines, method)

    def _function_location(self, fs: FunctionScore, total: float, best_line: int) -> Location:
        if fs.span is not None:
            start, end = fs.span.start, fs.span.end
        else:
            start = end = best_line or fs.mark or 1
        line_ev = tuple(self.line_evidence.get((fs.path, best_line), ())) if best_line else ()
        return Location(path=fs.path, function=fs.name, start_line=start, end_line=end,
                        score=round(total, 6), evidence=line_ev + tuple(fs.evidence),
                        line=best_line or fs.mark)

    # -- source facts -----------------------------------------------------------

    def tree(self, rel: str) -> ast.Module | None:
        if rel not in self.trees:
            info = self.module(rel)
            try:
                self.trees[rel] = ast.parse("\n".join(info.lines)) if info else None
            except (SyntaxError, ValueError):
                self.trees[rel] = None
        return self.trees[rel]

    def test_tree(self, path: str | Path) -> ast.Module | None:
        """A test file's syntax tree, ``None`` when it does not parse. Parsed once per
        localization: the traceback, body, name, literal and statement signals all read
        the failing tests' files (by absolute path, relative path or symlink)."""
        spelled = str(path)
        real = self._real_paths.get(spelled)
        if real is None:
            real = self._real_paths[spelled] = os.path.realpath(spelled)
        if real not in self._test_trees:
            self._test_trees[real] = parse_file(Path(real))
        return self._test_trees[real]

    def delegates(self, rel: str, span: FunctionSpan) -> bool:
        """``span`` is a thin function: its body (a docstring aside) is one ``return``
        or call statement with no operator of its own (no comparison, arithmetic,
        subscript, condition or comprehension) that calls a function of the program:
        a method of ``self``, a module-level name that is no builtin
        (``return self._update(arg)``, ``return getattr(self.table(), name)``,
        ``return list(self.cache.keys())``, ``return int(_digits(text), base)``).
        It passes on what the functions it calls compute. ``return self._key`` calls
        nothing (what it returns has no other place to come from in the call chain);
        ``return s.replace("\\t", " ")`` computes on the value it was given."""
        key = (rel, span.def_line)
        if key not in self._thin:
            self._thin[key] = self._delegates(rel, span)
        return self._thin[key]

    def _delegates(self, rel: str, span: FunctionSpan) -> bool:
        node = self.def_node(rel, span)
        if node is None:
            return False
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # the docstring
        if len(body) != 1 or not isinstance(body[0], ast.Return | ast.Expr):
            return False
        value = body[0].value
        parts = list(ast.walk(value)) if value is not None else []
        params = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
        return (any(isinstance(n, ast.Call) and _passes_on(n.func, params) for n in parts)
                and not any(isinstance(n, _COMPUTES) for n in parts))

    def writers(self, rel: str, span: FunctionSpan) -> list[tuple[str, FunctionSpan]]:
        """The project functions that filled in what ``span`` returns: ``span`` returns
        an object it built from a buffer or collector (``value = output.getvalue()``)
        and hands that collector, or an object made from it (``handler =
        XMLGenerator(output)``), to a project function called for its effect alone
        (``_emit(key, value, handler)``, its result unused). The returned value was
        written there, by a *recursive* worker (``_emit`` calls itself for each child:
        the conversion of the whole input is its); a small helper that appends one
        line of what ``span`` computed (``_append_line(lines, widths, ...)``) is not.
        ``self`` is no collector (every method call would write it)."""
        key = (rel, span.def_line)
        if key not in self._writers:
            node = self.def_node(rel, span)
            names = _collector_calls(node) if node is not None else []
            found: list[tuple[str, FunctionSpan]] = []
            for receiver, name in names:
                found += [(r, s) for r, s in self.functions_named(name)
                          if (r == rel or receiver != "") and not s.is_class
                          and s.qualname != span.qualname and self._recursive(r, s)]
            self._writers[key] = found
        return self._writers[key]

    def _recursive(self, rel: str, span: FunctionSpan) -> bool:
        node = self.def_node(rel, span)
        name = span.qualname.rsplit(".", 1)[-1]
        return node is not None and any(
            isinstance(c, ast.Call) and (
                (isinstance(c.func, ast.Name) and c.func.id == name)
                or (isinstance(c.func, ast.Attribute) and c.func.attr == name))
            for c in ast.walk(node))

    def def_node(self, rel: str, span: FunctionSpan
                 ) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The ``def`` of ``span`` in the parsed module (``None``: not parsed)."""
        tree = self.tree(rel)
        return next((n for n in ast.walk(tree)
                     if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
                     and n.lineno == span.def_line), None) if tree is not None else None

    def class_node(self, rel: str, span: FunctionSpan) -> ast.ClassDef | None:
        """The ``class`` statement of the class ``span`` (``None``: not parsed)."""
        tree = self.tree(rel)
        return next((n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)
                     and n.lineno == span.def_line), None) if tree is not None else None

    def raise_guard(self, rel: str, line: int) -> int | None:
        """For a ``raise`` statement at ``line``: the line of the ``if`` test guarding
        it (0 when unguarded); ``None`` when ``line`` holds no ``raise``."""
        guard = self.guard_node(rel, line)
        if guard is not None:
            return guard.test.lineno
        tree = self.tree(rel)
        stmt = statement_at(tree, line) if tree is not None else None
        return 0 if isinstance(stmt, ast.Raise) else None

    def guard_node(self, rel: str, line: int) -> ast.If | ast.While | None:
        """The ``if`` (or ``while``) whose body holds the ``raise`` at ``line``."""
        tree = self.tree(rel)
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, ast.If | ast.While) and any(
                    isinstance(child, ast.Raise) and child.lineno == line for child in node.body):
                return node
        return None

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
