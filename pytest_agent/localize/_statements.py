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

**The changed state** (ninth round, STUDY.md class C): when the last writer of a name
the failing statement reads *changed* the object in place (``doc["z"] = 2``,
``doc.append(x)``, ``fill(doc)``; not ``doc = parse(...)``, not a check such as
``self.assertEqual(doc, ...)``), the functions that statement entered and the failing
statement did not are where the checked state was written; the failing statement's
own functions (the renderer, the accessor) only read it. They get
:data:`W_CHANGED_STATE`. A failing ``with`` (``pytest.raises`` that did not raise:
the traceback points at its header) counts with the statements of its block.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable

from pytest_agent.localize._attribution import StatementCalls
from pytest_agent.localize._coverage import ExceptionRecord
from pytest_agent.localize._ranker import Ranker
from pytest_agent.localize._traceback import statement_at

__all__ = ["W_CHANGED_STATE", "W_STATEMENT", "statement_signal"]

#: Entered by the failing statement of a failing test, or by the last statement that
#: changed a name it reads (x share).
W_STATEMENT = 0.1
#: Entered by the last statement that changed an object the failing statement reads
#: (``doc["z"] = 2``, ``doc.append(x)``: not a plain binding such as ``doc = parse()``)
#: and not by the failing statement itself (x share).
W_CHANGED_STATE = 0.3
#: Measured and left off: a plain binding (``doc = parse(...)``) counts as a change.
BINDINGS_CHANGE = False
#: A failing ``with`` statement's block belongs to it (``pytest.raises`` that did not
#: raise: the traceback points at the ``with``, the code that should have raised is
#: in its block).
WITH_BLOCK = True

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
    block = statements.block(failed_at) if WITH_BLOCK else {failed_at}
    wanted = dict.fromkeys(sorted(block), _FAILING)
    for stmt in statements.last_writers(failed_at, ran, block):
        wanted.setdefault(stmt, _WRITER)
    # Each function the test entered -> the statements that entered it.
    entered: dict[tuple[str, str], set[_Statement]] = {}
    for site in calls.calls:
        rel = ranker.project_rel(site.file)
        if rel is not None:
            key = (rel, ranker.function_at(rel, site.line).name)
            entered.setdefault(key, set()).add(statements.of(site.test_file, site.test_line))
    changed = _changed_state(ranker, entered, failed_at, ran, block, statements, share)
    if all(by & wanted.keys() for by in entered.values()):
        return changed  # they entered every function: nothing to tell apart
    for (rel, name), by in sorted(entered.items()):
        found = by & wanted.keys()
        if found:
            stmt = min(found, key=lambda s: (s not in block, s))  # the failing one first
            ranker.add_function(rel, ranker.functions[(rel, name)].span, W_STATEMENT * share,
                                f"entered by {wanted[stmt]} of a failing test (line {stmt[1]})",
                                kind="W_STATEMENT")
    return True


def _changed_state(ranker: Ranker, entered: dict[tuple[str, str], set[_Statement]],
                   failed_at: _Statement, ran: list[_Statement], block: set[_Statement],
                   statements: _Statements, share: float) -> bool:
    """The functions entered by the last statements that changed an object the failing
    statement reads, and not by the failing statement (which only read that state)."""
    changers = set(statements.last_writers(failed_at, ran, block,
                                           changes_only=not BINDINGS_CHANGE))
    if not changers or W_CHANGED_STATE <= 0:
        return False
    used = False
    for (rel, name), by in sorted(entered.items()):
        found = sorted(by & changers)
        if found and not by & block:
            ranker.add_function(rel, ranker.functions[(rel, name)].span,
                                W_CHANGED_STATE * share,
                                f"entered by the statement that last changed the state the"
                                f" failing one reads (line {found[-1][1]}), not by it",
                                kind="W_CHANGED_STATE")
            used = True
    return used


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

    def block(self, failed_at: _Statement) -> set[_Statement]:
        """The failing statement and, for a ``with`` (``pytest.raises`` that did not
        raise: the traceback points at its header), the statements of its block."""
        tree = self._tree(failed_at[0])
        stmt = statement_at(tree, failed_at[1]) if tree is not None else None
        if not isinstance(stmt, ast.With | ast.AsyncWith):
            return {failed_at}
        return {(failed_at[0], node.lineno) for node in ast.walk(stmt)
                if isinstance(node, ast.stmt)}

    def last_writers(self, failed_at: _Statement, ran: list[_Statement],
                     block: set[_Statement], *, changes_only: bool = False
                     ) -> list[_Statement]:
        """For each name the failing statement reads, the last statement before it (in
        the order the test ran them, in the same function) that bound or changed it:
        ``x = ...``, ``x[k] = ...``, ``x.a = ...``, ``x.m(...)``, ``f(x)``.
        ``changes_only``: only where that statement changed the object the name holds
        (not ``x = ...``, not a check such as ``self.assertEqual(x, ...)``)."""
        tree = self._tree(failed_at[0])
        if tree is None:
            return []
        stmt = statement_at(tree, failed_at[1])
        func = _enclosing_function(tree, failed_at[1])
        if stmt is None or func is None:
            return []
        reads = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)
                 and isinstance(n.ctx, ast.Load)}
        first = next((i for i, where in enumerate(ran) if where in block), len(ran))
        before = ran[:first]
        found: list[_Statement] = []
        for name in sorted(reads):
            for where in reversed(before):
                other = statement_at(tree, where[1]) if where[0] == failed_at[0] else None
                if (other is not None and func.lineno <= other.lineno <= (func.end_lineno or 0)
                        and name in _written(other)):
                    if not changes_only or name in _changed(other):
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


def _changed(stmt: ast.stmt) -> set[str]:
    """Names whose object a statement changes in place: the roots of assigned
    subscripts and attributes, an augmented assignment's target, the object of a method
    call and the arguments of a call that is no check (``self.assertEqual(x, ...)``)."""
    if isinstance(stmt, ast.Assign | ast.AnnAssign):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        flat: list[ast.expr] = []
        for target in targets:
            flat += target.elts if isinstance(target, ast.Tuple | ast.List) else [target]
        return {root for t in flat if not isinstance(t, ast.Name)
                and (root := _root(t)) is not None}
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        func = stmt.value.func
        name = func.attr if isinstance(func, ast.Attribute) else (
            func.id if isinstance(func, ast.Name) else "")
        if name.lower().startswith("assert"):
            return set()
    return _written(stmt)


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
