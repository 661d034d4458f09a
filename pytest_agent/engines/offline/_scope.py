"""What the code around an edit says about names: the types the templates rely on.

Template operators (``_templates``) only write names that are bound where they edit,
typed by how the function uses them: a *number* is counted, compared by order,
indexed with or passed to ``range``; a *collection* is iterated, measured with
``len``, sliced or has ``append``/``add``/``pop``... called on it; a parameter the
function never reads may be either. No inference beyond one function; a name can be
both (then both templates may use it).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from dataclasses import field
from typing import Final
from typing import final

__all__ = ["FunctionScope", "empty_value", "function_scope"]

_COLLECTION_METHODS: Final = frozenset({
    "append", "add", "pop", "extend", "popleft", "appendleft", "items", "keys", "values",
    "insert", "remove", "discard", "update", "setdefault", "clear", "get", "index", "count",
})
_COLLECTION_CALLS: Final = frozenset({
    "list", "dict", "set", "tuple", "deque", "sorted", "reversed", "defaultdict", "Counter",
    "frozenset", "OrderedDict",
})
_NUMBER_CALLS: Final = frozenset({"len", "int", "sum", "abs", "round", "min", "max", "ord",
                                  "float", "count", "index", "find"})
_ORDER_OPS: Final = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_NUMBER_OPS: Final = (ast.Sub, ast.FloorDiv, ast.Mod, ast.Div, ast.Pow)


@final
@dataclass
class FunctionScope:
    """Names bound in one function (parameters, assignments, loop targets), typed."""

    bound: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)
    collections: set[str] = field(default_factory=set)
    #: Loop targets that are single names, with the loop that binds them.
    loop_vars: dict[str, ast.For] = field(default_factory=dict)
    #: Parameters the function never reads (a fix often reads them).
    unused: set[str] = field(default_factory=set)
    #: Local names assigned and never read (a dead store: the fix often reads them).
    unread: set[str] = field(default_factory=set)
    #: Names assigned a constant (``prev = None``, ``best = 0``): state a loop may track.
    constant_init: set[str] = field(default_factory=set)
    #: Line where each name is first bound (parameters: the ``def`` line).
    first_bound: dict[str, int] = field(default_factory=dict)

    def bound_before(self, line: int) -> set[str]:
        return {n for n, at in self.first_bound.items() if at < line}


def _name(node: ast.AST | None) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _bind(scope: FunctionScope, target: ast.AST, line: int) -> None:
    for sub in ast.walk(target):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            scope.bound.add(sub.id)
            scope.first_bound.setdefault(sub.id, line)


def _type_value(scope: FunctionScope, name: str, value: ast.expr) -> None:
    """``name = value``: what the value says about the name."""
    if isinstance(value, ast.Constant):
        scope.constant_init.add(name)
    if isinstance(value, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp,
                          ast.SetComp)):
        scope.collections.add(name)
    elif isinstance(value, ast.Call):
        called = _call_name(value)
        if called in _COLLECTION_CALLS:
            scope.collections.add(name)
        elif called in _NUMBER_CALLS:
            scope.numbers.add(name)
    elif (isinstance(value, ast.Constant) and type(value.value) in (int, float)) or (
            isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Add, *_NUMBER_OPS))):
        scope.numbers.add(name)


def _type_use(scope: FunctionScope, node: ast.AST) -> None:
    """How a use of a name types it."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, _NUMBER_OPS):
        scope.numbers.update(n for n in (_name(node.left), _name(node.right)) if n)
    elif isinstance(node, ast.Compare) and any(isinstance(o, _ORDER_OPS) for o in node.ops):
        scope.numbers.update(n for n in map(_name, [node.left, *node.comparators]) if n)
    elif isinstance(node, ast.Subscript):
        if isinstance(node.slice, ast.Slice):
            base = _name(node.value)
            if base:
                scope.collections.add(base)
            for bound in (node.slice.lower, node.slice.upper):
                if _name(bound):
                    scope.numbers.add(str(_name(bound)))
        elif _name(node.slice):
            scope.numbers.add(str(_name(node.slice)))
    elif isinstance(node, ast.Call):
        _type_call(scope, node)
    elif isinstance(node, ast.For) and _name(node.iter):
        scope.collections.add(str(_name(node.iter)))


def _type_call(scope: FunctionScope, node: ast.Call) -> None:
    called = _call_name(node)
    if isinstance(node.func, ast.Attribute) and called in _COLLECTION_METHODS:
        base = _name(node.func.value)
        if base:
            scope.collections.add(base)
    if called in ("range", "min", "max", "abs", "round"):
        scope.numbers.update(n for n in map(_name, node.args) if n)
    elif called in ("len", "sorted", "sum", "enumerate", "reversed") and node.args:
        arg = _name(node.args[0])
        if arg:
            scope.collections.add(arg)


def _bind_node(scope: FunctionScope, node: ast.AST) -> None:
    """What a binding statement binds, and what its value says about the type."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            _bind(scope, target, node.lineno)
            if _name(target):
                _type_value(scope, str(_name(target)), node.value)
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        _bind(scope, node.target, node.lineno)
        if isinstance(node, ast.AugAssign) and _name(node.target) and \
                isinstance(node.op, (ast.Add, ast.Sub)) and \
                isinstance(node.value, ast.Constant):
            scope.numbers.add(str(_name(node.target)))
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        _bind(scope, node.target, node.lineno)
        var = _name(node.target)
        if var and isinstance(node, ast.For):
            scope.loop_vars.setdefault(var, node)
            if isinstance(node.iter, ast.Call) and _call_name(node.iter) == "range":
                scope.numbers.add(var)
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        for item in node.items:
            _bind(scope, item.optional_vars or ast.Pass(), node.lineno)
    elif isinstance(node, ast.NamedExpr):
        _bind(scope, node.target, node.lineno)


def function_scope(func: ast.FunctionDef | ast.AsyncFunctionDef) -> FunctionScope:
    """The typed names of ``func`` (nested functions included: they share the text)."""
    scope = FunctionScope()
    args = func.args
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
        if arg is not None and arg.arg not in ("self", "cls"):
            scope.bound.add(arg.arg)
            scope.first_bound[arg.arg] = func.lineno
    for node in ast.walk(func):
        _bind_node(scope, node)
        _type_use(scope, node)
    # A parameter the function never reads is a strong hint that the fix reads it:
    # it may stand for either type.
    read = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and
            isinstance(n.ctx, ast.Load)}
    unused = {n for n, at in scope.first_bound.items() if at == func.lineno} - read
    scope.unused = unused
    scope.unread = {n for n, at in scope.first_bound.items()
                    if at != func.lineno and not n.startswith("_")} - read
    scope.numbers = (scope.numbers | unused) & scope.bound
    scope.collections = (scope.collections | unused) & scope.bound
    return scope


#: The empty value of a type, by the name its annotation or its values are written with.
_EMPTY: Final = {"str": '""', "list": "[]", "List": "[]", "dict": "{}", "Dict": "{}",
                 "tuple": "()", "Tuple": "()", "int": "0", "float": "0.0", "bool": "False",
                 "Iterator": "iter(())", "Iterable": "iter(())", "iterator": "iter(())"}
#: Calls that build a lazy iterator: a function returning one returns ``iter(())`` empty.
_ITERATOR_CALLS: Final = frozenset({"map", "filter", "zip", "iter", "reversed", "enumerate",
                                    "starmap", "chain", "islice", "zip_longest"})


def empty_value(func: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The empty value of what ``func`` returns: from its return annotation (``-> str``,
    ``-> list[int]``), else when its own returns build one type (text: literals,
    f-strings, ``.join``; a list or dict display or comprehension); else ``None``."""
    note = func.returns
    if isinstance(note, ast.Subscript):
        note = note.value
    if isinstance(note, (ast.Name, ast.Attribute)):
        return _EMPTY.get(note.id if isinstance(note, ast.Name) else note.attr)
    kinds = {_kind(n.value) for n in ast.walk(func)
             if isinstance(n, ast.Return) and n.value is not None}
    kind = kinds.pop() if len(kinds) == 1 else None
    return _EMPTY.get(kind) if kind is not None else None


def _kind(value: ast.expr) -> str | None:
    """The type a returned expression builds, when its form says it."""
    if isinstance(value, ast.JoinedStr) or (
            isinstance(value, ast.Constant) and isinstance(value.value, str)) or (
            isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
            and value.func.attr == "join"):
        return "str"
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and \
            value.func.id in _ITERATOR_CALLS:
        return "iterator"
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and \
            value.func.id in (*_EMPTY, "sorted"):
        return "list" if value.func.id == "sorted" else value.func.id  # str(x), list(x)
    if isinstance(value, (ast.List, ast.ListComp)):
        return "list"
    if isinstance(value, (ast.Dict, ast.DictComp)):
        return "dict"
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
        left, right = _kind(value.left), _kind(value.right)
        return left if left == right or right is None else (right if left is None else None)
    return None
