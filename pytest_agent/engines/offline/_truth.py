"""Conditions whose truth does not depend on the program's state.

An edit that makes a condition constant (``not self.__class__``, ``if len:``,
``"a" == "b"``, ``x or SomeClass``) removes a branch while looking like a new
condition: it can only pass tests by deleting behaviour, the overfitting pattern
``_risk`` marks for an explicit ``True``/``False``. The operators never write one
(a held-out real bug of the previous round was "repaired" by replacing a condition
with ``not self.__class__``, always false).
"""

from __future__ import annotations

import ast
import builtins
import operator
import textwrap
from collections.abc import Callable
from collections.abc import Iterator
from typing import Any
from typing import Final

__all__ = ["ConditionFacts", "constant_truth", "degenerate"]

#: Builtins that are classes or functions (always true as a condition).
_BUILTIN_OBJECTS: Final = frozenset(
    n for n, v in vars(builtins).items() if callable(v) and not n.startswith("_"))
_COMPARE: Final[dict[type[ast.cmpop], Callable[[Any, Any], Any]]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_,
    ast.IsNot: operator.is_not, ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_CONDITION_OWNERS = (ast.If, ast.While, ast.IfExp, ast.Assert)


class ConditionFacts:
    """What makes a name or attribute always true in one scope: the module's classes
    and functions and the builtins (unless the scope or the module assigns the name),
    and ``self.<method>`` for the methods of the enclosing class."""

    def __init__(self, objects: frozenset[str], methods: frozenset[str] = frozenset()) -> None:
        self.objects = objects
        self.methods = methods

    @classmethod
    def of_module(cls, tree: ast.Module) -> frozenset[str]:
        """Module-level classes and functions and the builtins, minus assigned names."""
        defined = {s.name for s in tree.body
                   if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        assigned = {n.id for s in tree.body if not isinstance(
                        s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                    for n in ast.walk(s) if isinstance(n, ast.Name)
                    and isinstance(n.ctx, ast.Store)}
        imported = {(a.asname or a.name).split(".")[0] for s in tree.body
                    if isinstance(s, (ast.Import, ast.ImportFrom)) for a in s.names}
        return frozenset((defined | _BUILTIN_OBJECTS) - assigned - imported)

    def truthy_name(self, name: str) -> bool:
        return name in self.objects

    def truthy_attribute(self, node: ast.Attribute) -> bool:
        if node.attr == "__class__":
            return True
        return isinstance(node.value, ast.Name) and node.value.id in ("self", "cls") \
            and node.attr in self.methods


def _literal(node: ast.expr) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def _compare_truth(node: ast.Compare, facts: ConditionFacts) -> bool | None:
    operands = [node.left, *node.comparators]
    values = [_literal(o) for o in operands]
    if all(ok for ok, _ in values):
        try:
            return all(bool(_COMPARE[type(op)](values[i][1], values[i + 1][1]))
                       for i, op in enumerate(node.ops))
        except TypeError:
            return None  # ``1 < "a"`` raises: not a constant
    # ``<an object> is None``: a class or function is never None.
    if len(node.ops) == 1 and isinstance(node.ops[0], (ast.Is, ast.IsNot)):
        left, right = operands
        none_side = [isinstance(o, ast.Constant) and o.value is None for o in (left, right)]
        other = right if none_side[0] else left
        if any(none_side) and constant_truth(other, facts) is True:
            return isinstance(node.ops[0], ast.IsNot)
    return None


def _boolop_truth(node: ast.BoolOp, facts: ConditionFacts) -> bool | None:
    truths = [constant_truth(v, facts) for v in node.values]
    decisive = isinstance(node.op, ast.Or)  # ``or``: one true operand decides; ``and``: false
    if decisive in truths:
        return decisive
    return (not decisive) if all(t is (not decisive) for t in truths) else None


def _display_truth(node: ast.expr) -> bool | None:
    """Truth of a literal or display (``[]``, ``(a,)``, ``{k: v}``, ``f"a{x}"``, a lambda)."""
    if isinstance(node, ast.Constant):
        return bool(node.value)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        if not node.elts:
            return False
        return True if any(not isinstance(e, ast.Starred) for e in node.elts) else None
    if isinstance(node, ast.Dict):
        return bool(node.keys) if all(k is not None for k in node.keys) else (
            True if any(k is not None for k in node.keys) else None)
    if isinstance(node, ast.JoinedStr):
        return True if any(isinstance(v, ast.Constant) and v.value for v in node.values) \
            else None
    if isinstance(node, ast.Lambda):
        return True
    return None


def constant_truth(node: ast.expr, facts: ConditionFacts) -> bool | None:
    """The truth value ``node`` has whatever the program's state, or ``None``."""
    if isinstance(node, (ast.Constant, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.JoinedStr,
                         ast.Lambda)):
        return _display_truth(node)
    if isinstance(node, ast.Name):
        return True if facts.truthy_name(node.id) else None
    if isinstance(node, ast.Attribute):
        return True if facts.truthy_attribute(node) else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id == "type" and len(node.args) == 1 and facts.truthy_name("type"):
        return True  # a class
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = constant_truth(node.operand, facts)
        return None if inner is None else not inner
    if isinstance(node, ast.Compare):
        return _compare_truth(node, facts)
    if isinstance(node, ast.BoolOp):
        return _boolop_truth(node, facts)
    return None


def _parts(node: ast.expr) -> Iterator[ast.expr]:
    """The condition and the operands of its ``and``/``or``/``not``, recursively."""
    yield node
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            yield from _parts(value)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield from _parts(node.operand)


def degenerate(condition: ast.expr, facts: ConditionFacts) -> bool:
    """The condition, or one operand of its ``and``/``or``, is constant: the condition is
    constant, or one operand is dead weight (``c and SomeClass`` is ``c``)."""
    return any(constant_truth(part, facts) is not None for part in _parts(condition))


def inserted_conditions(new: str) -> list[ast.expr]:
    """The conditions of the ``if``/``while``/``assert`` statements of an inserted text."""
    try:
        tree = ast.parse(textwrap.dedent(new))
    except SyntaxError:
        return []
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, _CONDITION_OWNERS):
            found.append(node.test)
        elif isinstance(node, ast.comprehension):
            found.extend(node.ifs)
    return found


def condition_nodes(tree: ast.AST) -> Iterator[ast.expr]:
    """Every condition of a module: tests of ``if``/``while``/``assert``/conditional
    expressions and the filters of comprehensions."""
    for node in ast.walk(tree):
        if isinstance(node, _CONDITION_OWNERS):
            yield node.test
        elif isinstance(node, ast.comprehension):
            yield from node.ifs
