"""The statement signal: which statement of a failing test entered a function.

Per-test coverage says a failing test ran a function; the statement-level attribution
recorded in the coverage run (:mod:`._attribution`) says *which statement* of the test
entered it. A test that parses a document, changes it and compares its rendering ran
the parser, the changing method and the renderer, all "covered by the failing test
only". The statements that can have put the wrong value in front of the check are
the failing statement itself (the innermost test-file frame of the failure's
traceback, or the last statement the test ran) and, for each name it reads, the last
statement before it that bound or changed that name (``doc = parse(...)``,
``doc["a"] = x``, ``doc.append(...)``, ``fill(doc)``): a statement-level dynamic
slice cut at the nearest writer. Functions those statements entered get a bonus;
functions entered only by earlier statements (the input's first construction when a
later statement changed it, helpers that built other values) get none.

Nothing is added when those statements entered every project function the test ran
(one statement did everything, or the check reads what one call built): there is
nothing to tell apart beyond coverage.

Measured on the tuned real bugs (issue #17): the failing statement alone (with more
for a function it calls itself) lost 64% -> 59% top-1 on the first 50 bugs: in the
parse / change / render tests the failing statement is the rendering, and the fault
is under the change.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable

from pytest_agent.localize._attribution import StatementCalls
from pytest_agent.localize._coverage import ExceptionRecord
from pytest_agent.localize._ranker import Ranker
from pytest_agent.localize._traceback import statement_at

__all__ = ["W_STATEMENT", "statement_signal"]

#: Entered by the failing statement of a failing test, or by the last statement that
#: changed a name it reads (x share).
W_STATEMENT = 0.1

_Statement = tuple[str, int]
_FAILING = "the failing statement"
_WRITER = "the last statement that changed what the failing one reads"


def statement_signal(ranker: Ranker, attribution: Iterable[StatementCalls],
                     exceptions: Iterable[ExceptionRecord], failing: frozenset[str],
                     share: float) -> bool:
    """Score the functions that the failing statement of each failing test, and the
    last statements that changed what it reads, entered."""
    records = {r.nodeid: r for r in exceptions}
    statements = _Statements(ranker)
    used = False
    for calls in attribution:
        if calls.nodeid in failing:
            used = _one_test(ranker, calls, records.get(calls.nodeid), statements, share) \
                or used
    return used


def _one_test(ranker: Ranker, calls: StatementCalls, rec: ExceptionRecord | None,
              statements: _Statements, share: float) -> bool:
    failed_at = _failing_statement(calls, rec, statements)
    if failed_at is None:
        return False
    ran = list(dict.fromkeys(statements.of(f, n) for f, n in calls.statements))
    wanted = {failed_at: _FAILING}
    for stmt in statements.last_writers(failed_at, ran):
        wanted.setdefault(stmt, _WRITER)
    # Each function the test entered -> the wanted statements that entered it.
    hits: dict[tuple[str, str], list[_Statement]] = {}
    for site in calls.calls:
        rel = ranker.project_rel(site.file)
        if rel is None:
            continue
        key = (rel, ranker.function_at(rel, site.line).name)
        stmt = statements.of(site.test_file, site.test_line)
        found = hits.setdefault(key, [])
        if stmt in wanted and stmt not in found:
            found.append(stmt)
    if all(hits.values()):
        return False  # they entered every function: nothing to tell apart
    for (rel, name), found in sorted(hits.items()):
        if found:
            stmt = min(found, key=lambda s: s != failed_at)  # the failing one first
            ranker.add_function(rel, ranker.functions[(rel, name)].span, W_STATEMENT * share,
                                f"entered by {wanted[stmt]} of a failing test (line {stmt[1]})",
                                kind="W_STATEMENT")
    return True


def _failing_statement(calls: StatementCalls, rec: ExceptionRecord | None,
                       statements: _Statements) -> _Statement | None:
    """The innermost frame of the failure's traceback in a file where the test's
    statements are; else the last statement the test ran."""
    files = {os.path.realpath(f): f for f, _ in calls.statements}
    if rec is not None:
        for filename, line, _ in reversed(rec.frames):
            known = files.get(os.path.realpath(filename))
            if known is not None:
                return statements.of(known, line)
    if calls.statements:
        return statements.of(*calls.statements[-1])
    return None


class _Statements:
    """Lines of test files mapped to the first line of their statement (a call on the
    third line of a multi-line ``assert`` belongs to the ``assert``)."""

    def __init__(self, ranker: Ranker) -> None:
        self._ranker = ranker

    def of(self, filename: str, line: int) -> _Statement:
        tree = self._tree(filename)
        stmt = statement_at(tree, line) if tree is not None else None
        return (os.path.realpath(filename), stmt.lineno if stmt is not None else line)

    def last_writers(self, failed_at: _Statement, ran: list[_Statement]) -> list[_Statement]:
        """For each name the failing statement reads, the last statement before it (in
        the order the test ran them, in the same function) that bound or changed it:
        ``x = ...``, ``x[k] = ...``, ``x.a = ...``, ``x.m(...)``, ``f(x)``."""
        tree = self._tree(failed_at[0])
        if tree is None:
            return []
        stmt = statement_at(tree, failed_at[1])
        func = _enclosing_function(tree, failed_at[1])
        if stmt is None or func is None:
            return []
        reads = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)
                 and isinstance(n.ctx, ast.Load)}
        before = ran[:ran.index(failed_at)] if failed_at in ran else ran
        found: list[_Statement] = []
        for name in sorted(reads):
            for where in reversed(before):
                other = statement_at(tree, where[1]) if where[0] == failed_at[0] else None
                if (other is not None and func.lineno <= other.lineno <= (func.end_lineno or 0)
                        and name in _written(other)):
                    found.append(where)
                    break
        return found

    def _tree(self, filename: str) -> ast.Module | None:
        return self._ranker.test_tree(filename)



def _enclosing_function(tree: ast.Module, line: int
                        ) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    best: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    for node in ast.walk(tree):
        if (isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                and node.lineno <= line <= (node.end_lineno or node.lineno)
                and (best is None or node.lineno >= best.lineno)):
            best = node
    return best


def _root(node: ast.AST) -> str | None:
    """``x`` of ``x``, ``x.a``, ``x[k]``, ``x.m(...)[k]``."""
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call | ast.Starred):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _written(stmt: ast.stmt) -> set[str]:
    """Names a statement binds or changes: assigned names, the roots of assigned
    subscripts and attributes, the object of a method call, the arguments of a call."""
    targets: list[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, ast.AugAssign | ast.AnnAssign):
        targets = [stmt.target]
    changed: list[ast.expr] = []
    for target in targets:
        changed += target.elts if isinstance(target, ast.Tuple | ast.List) else [target]
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        call = stmt.value
        if isinstance(call.func, ast.Attribute):
            changed.append(call.func.value)
        changed += [*call.args, *(k.value for k in call.keywords)]
    return {root for root in map(_root, changed) if root is not None}
