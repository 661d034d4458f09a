"""Iteration by the old sequence protocol: a project class that lacks ``__iter__``.

Python iterates an object whose class defines ``__getitem__`` but no ``__iter__`` by
calling ``obj[0]``, ``obj[1]``, ... until an ``IndexError``. A mapping-like class
(a cache, a table) that forgot ``__iter__`` is then iterated by integer keys: its
``__getitem__`` or ``get`` returns a default or raises a ``KeyError``, and the loop
yields what it should not (or never ends). Coverage shows the class's item access
run by the failing test only, and no frame of it is in the traceback: the place is
the class, where ``__iter__`` would go (#17, the study split's tinydb-0475b23:
``for _ in cache`` over an ``LRUCache`` without ``__iter__``).

The failing test iterates a value when the failing line is inside a ``for`` loop
over it, or the failing statement iterates it (a comprehension, ``list(x)``,
``sorted(x)``, ``tuple``/``set``/``iter``/``enumerate``/``sum``/...). The value's
class is read from the test's source: a constructor call (``LRUCache()``), directly
or in the test's last assignment of the name before the loop.
"""

from __future__ import annotations

import ast

from pytest_agent.localize._functions import FunctionSpan
from pytest_agent.localize._ranker import Ranker

__all__ = ["iterated_classes", "lacks_iter"]

#: Builtins that iterate their first argument.
_ITERATING = frozenset({"list", "tuple", "set", "frozenset", "sorted", "iter", "enumerate",
                        "dict", "sum", "min", "max", "any", "all", "zip"})
#: How deep a class's project bases are followed.
_MAX_BASES = 8


def iterated_classes(function: ast.AST | None, stmt: ast.stmt | None, line: int
                     ) -> list[str]:
    """The class names of the values the failing test iterates at ``line``: those of a
    ``for`` loop of ``function`` around the line and those the statement iterates."""
    if function is None:
        return []
    iterables: list[ast.expr] = []
    for node in ast.walk(function):
        if isinstance(node, ast.For | ast.AsyncFor) and \
                node.lineno <= line <= (node.end_lineno or node.lineno):
            iterables.append(node.iter)
    for node in ast.walk(stmt) if stmt is not None else ():
        if isinstance(node, ast.comprehension):
            iterables.append(node.iter)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in _ITERATING and node.args:
            iterables.append(node.args[0])
    names = [_constructed_class(function, expr, line) for expr in iterables]
    return list(dict.fromkeys(n for n in names if n))


def _constructed_class(function: ast.AST, expr: ast.expr, line: int) -> str:
    """``Cls`` of ``Cls(...)`` / ``mod.Cls(...)``, or of the last ``name = Cls(...)``
    before ``line`` when ``expr`` is a bare name."""
    if isinstance(expr, ast.Name):
        name = expr.id
        assigns = [node for node in ast.walk(function) if isinstance(node, ast.Assign)
                   and node.lineno < line
                   and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)]
        if assigns:
            expr = max(assigns, key=lambda node: node.lineno).value
    if isinstance(expr, ast.Call):
        func = expr.func
        name = func.id if isinstance(func, ast.Name) else \
            func.attr if isinstance(func, ast.Attribute) else ""
        return name if name[:1].isupper() else ""
    return ""


def lacks_iter(ranker: Ranker, rel: str, cls: FunctionSpan) -> bool:
    """``cls`` (or a project base) defines ``__getitem__`` and none defines ``__iter__``;
    every base is a project class (a base from elsewhere, ``dict`` or ``Mapping``, may
    bring its own ``__iter__``)."""
    getitem = False
    todo, seen = [(rel, cls)], 0
    while todo and seen < _MAX_BASES:
        mrel, span = todo.pop()
        seen += 1
        if ranker.defines(mrel, span, "__iter__"):
            return False
        getitem = getitem or ranker.defines(mrel, span, "__getitem__")
        node = ranker.class_node(mrel, span)
        if node is None:
            return False
        for base in node.bases:
            name = base.id if isinstance(base, ast.Name) else \
                base.attr if isinstance(base, ast.Attribute) else ""
            if name == "object":
                continue
            found = ranker.classes_named(name)
            if not found:
                return False
            todo.append(found[0])
    return getitem and not todo

