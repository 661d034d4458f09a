"""Where the value that a project check refused came from (issue #17, eighth round).

A failing test whose deepest project frame is an explicit ``raise`` under an ``if``
met a check that refused its input. The check may be wrong (its condition), or the
value it refused was made wrong upstream (STUDY.md class E: the raise is a symptom):

    value = convert(kind, data[field])          # the converter missed a case
    if type(value).__name__ != kind:
        raise WrongTypeError(field, value)      # a correct check

The ``raise``, its ``if`` and the caller of the check get the explicit-raise weight
(:mod:`._signals`); the functions that computed what the ``if`` reads, in the
statements of the same function before it, get a share of their own: a backward
slice of the guard, cut at the function's parameters (a parameter's value is the
caller's, which the traceback's calling frame already stands for). Names are followed
back through plain assignments a few steps (``value = build(data=converted)`` after
``converted = convert(...)``); calls are resolved by name: a module-level function of
the project (``convert``), a method of ``self``/``cls`` (``self._allowed(types)``),
only among the functions the failing tests ran.

Also here: the **project decorators of a traceback's functions**. A decorator such as
``def cache(f): return lru_cache(maxsize=...)(f)`` runs at import, while the module's
functions are decorated, so coverage never credits it to a test, and the wrapper it
returns may be C code with no frame of its own; yet every call of the decorated
function goes through what it built (study dacite-45c2993: ``lru_cache`` without
``typed=True`` returned a stale result for an equal type).
"""

from __future__ import annotations

import ast
from collections.abc import Collection
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from pytest_agent.localize._functions import FunctionSpan
from pytest_agent.localize._ranker import Ranker
from pytest_agent.localize._ranker import own_statements

__all__ = ["RefusingCheck", "module_constants", "project_decorators"]

#: How many assignments back a name the guard reads is followed.
_STEPS = 3

_Def = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class RefusingCheck:
    """The explicit ``raise`` of a failing test under its guard, in a project function:
    what the two questions below both read, found once."""

    ranker: Ranker
    rel: str
    span: FunctionSpan
    guard: ast.If | ast.While
    #: The raising function's parameters, and ``self``/``cls``: where a slice stops.
    params: frozenset[str]
    #: The plain assignments of the raising function's own statements, in line order.
    assigns: list[tuple[int, str, ast.expr]]

    @classmethod
    def at(cls, ranker: Ranker, rel: str, line: int) -> RefusingCheck | None:
        """The check whose ``raise`` is at ``line``; ``None`` when that ``raise`` is not
        guarded or not in a function."""
        guard = ranker.guard_node(rel, line)
        span = ranker.function_at(rel, line).span
        node = ranker.def_node(rel, span) if span is not None and not span.is_class else None
        if guard is None or node is None or span is None:
            return None
        params = frozenset({a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
                           | {"self", "cls"})
        return cls(ranker, rel, span, guard, params, _assignments(own_statements(node)))

    def producers(self) -> list[tuple[str, FunctionSpan, str]]:
        """The project functions that computed what the guard reads: ``(path, function,
        the name it computed)``, in source order, each once.

        Only the raising function's own statements before the guard are read; names
        that are its parameters (or ``self``/``cls``) stop the slice."""
        found: dict[tuple[str, str], tuple[str, FunctionSpan, str]] = {}
        for name, value in _assigned_back(self.assigns, _loaded(self.guard.test) - self.params,
                                          self.guard.lineno, self.params):
            for prel, pspan in _calls_resolved(self.ranker, self.rel, self.span, value):
                found.setdefault((prel, pspan.qualname), (prel, pspan, name))
        return sorted(found.values(), key=lambda f: (f[0], f[1].start))

    def constants(self) -> list[tuple[str, int]]:
        """The module-level constants (of the raising module) that alone computed what
        a plain guard refused: ``(name, line of its assignment)``.

        The guard only tests a name for being there (``if match is None``, ``if not
        found``), and that name was computed, in the raising function, from its
        parameters and module constants with no project function called (``match =
        _REGEX.match(version)``): the check cannot be wrong in its condition, and the
        only code that decided is the constant (a regex, a table). Nothing when a
        project function took part (:meth:`producers` names it)."""
        tested = _tested_name(self.guard.test)
        if tested is None or tested in self.params:
            return []
        ranker, rel = self.ranker, self.rel
        constants = module_constants(ranker, rel)
        read: set[str] = set()
        for _, value in _assigned_back(self.assigns, {tested}, self.guard.lineno,
                                       self.params | constants.keys()):
            if _calls_resolved(ranker, rel, self.span, value) or any(
                    isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
                    and _module_functions(ranker, rel, c.func.id) for c in ast.walk(value)):
                return []  # a project function took part
            read |= (_loaded(value) - self.params) & constants.keys()
        return sorted((name, constants[name]) for name in read)


def module_constants(ranker: Ranker, rel: str) -> dict[str, int]:
    """Module-level names assigned in ``rel`` (not ``__dunder__``) and their lines."""
    tree = ranker.tree(rel)
    found: dict[str, int] = {}
    for stmt in tree.body if tree is not None else ():
        targets = stmt.targets if isinstance(stmt, ast.Assign) else (
            [stmt.target] if isinstance(stmt, ast.AnnAssign) and stmt.value is not None else [])
        for target in targets:
            if isinstance(target, ast.Name) and not target.id.startswith("__"):
                found.setdefault(target.id, stmt.lineno)
    return found


def _tested_name(test: ast.expr) -> str | None:
    """``x`` of a guard that only tests for a value: ``x``, ``not x``, ``x is None``,
    ``x is not None``, ``x == None``."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    if isinstance(test, ast.Compare) and len(test.ops) == 1 \
            and isinstance(test.ops[0], ast.Is | ast.IsNot | ast.Eq | ast.NotEq) \
            and isinstance(test.comparators[0], ast.Constant) \
            and test.comparators[0].value is None:
        test = test.left
    return test.id if isinstance(test, ast.Name) else None


def project_decorators(ranker: Ranker, rel: str, span: FunctionSpan
                       ) -> list[tuple[str, FunctionSpan]]:
    """The project functions that decorate ``span`` (``@cache``, ``@cache(size=2)``,
    ``@_comparator``): module-level functions of the project called by name, not
    classes, builtins or other libraries' decorators."""
    node = ranker.def_node(rel, span)
    if node is None:
        return []
    found: list[tuple[str, FunctionSpan]] = []
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if not isinstance(target, ast.Name):
            continue
        found += [(drel, dspan) for drel, dspan in _module_functions(ranker, rel, target.id)
                  if (drel, dspan) not in found]
    return found


def _assigned_back(assigns: list[tuple[int, str, ast.expr]], names: Iterable[str],
                   before: int, ends: Collection[str]) -> Iterator[tuple[str, ast.expr]]:
    """``(name, value)`` of the last assignment to each of ``names`` above line
    ``before``, then of the names those values read, and so on, ``_STEPS`` assignments
    back at most; a name of ``ends`` (parameters, constants) is not followed."""
    todo = [(name, before) for name in sorted(names)]
    seen: set[tuple[str, int]] = set()
    for _ in range(_STEPS):
        later: list[tuple[str, int]] = []
        for name, line in todo:
            if (name, line) in seen:
                continue
            seen.add((name, line))
            value, at = _last_assignment(assigns, name, line)
            if value is None:
                continue
            yield name, value
            later += [(n, at) for n in sorted(_loaded(value) - set(ends))]
        todo = later


def _loaded(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)}


def _assignments(stmts: Iterable[ast.stmt]) -> list[tuple[int, str, ast.expr]]:
    """``(line, name, value)`` of the plain assignments to names, in line order."""
    found: list[tuple[int, str, ast.expr]] = []
    for stmt in stmts:
        if isinstance(stmt, ast.Assign):
            targets: list[ast.expr] = []
            for target in stmt.targets:
                targets += target.elts if isinstance(target, ast.Tuple | ast.List) else [target]
            found += [(stmt.lineno, t.id, stmt.value) for t in targets if isinstance(t, ast.Name)]
        elif isinstance(stmt, ast.AnnAssign | ast.AugAssign) and stmt.value is not None \
                and isinstance(stmt.target, ast.Name):
            found.append((stmt.lineno, stmt.target.id, stmt.value))
    return sorted(found, key=lambda a: a[0])


def _last_assignment(assigns: list[tuple[int, str, ast.expr]], name: str, before: int
                     ) -> tuple[ast.expr | None, int]:
    value: ast.expr | None = None
    at = before
    for line, target, expr in assigns:
        if line < before and target == name:
            value, at = expr, line
    return value, at


def _calls_resolved(ranker: Ranker, rel: str, span: FunctionSpan, value: ast.expr
                    ) -> list[tuple[str, FunctionSpan]]:
    """The project functions the calls in ``value`` reach, that the failing tests ran."""
    found: list[tuple[str, FunctionSpan]] = []
    owner = span.qualname.rsplit(".", 1)[0] if "." in span.qualname else ""
    for call in (n for n in ast.walk(value) if isinstance(n, ast.Call)):
        func = call.func
        if isinstance(func, ast.Name):
            found += _module_functions(ranker, rel, func.id)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and func.value.id in ("self", "cls") and owner:
            info = ranker.module(rel)
            found += [(rel, s) for s in (info.spans if info is not None else ())
                      if s.qualname == f"{owner}.{func.attr}"]
    return [(r, s) for r, s in dict.fromkeys(found) if _ran(ranker, r, s)]


def _module_functions(ranker: Ranker, rel: str, name: str) -> list[tuple[str, FunctionSpan]]:
    """Module-level functions called ``name``: the module's own, else the one its
    ``from ... import name`` names, else any project module's."""
    source = _imported_from(ranker, rel, name)
    if source is not None:
        ranker.module(source)
    spans = [(r, s) for r, s in ranker.functions_named(name)
             if s.qualname == name and not s.is_class]
    own = [(r, s) for r, s in spans if r == rel]
    imported = [(r, s) for r, s in spans if r == source]
    return own or imported or spans


def _imported_from(ranker: Ranker, rel: str, name: str) -> str | None:
    """The project file that module ``rel``'s ``from X import name`` (absolute or
    relative) reads, when it has one."""
    tree = ranker.tree(rel)
    for node in tree.body if tree is not None else ():
        if not isinstance(node, ast.ImportFrom) or not any(
                (a.asname or a.name) == name and a.name == name for a in node.names):
            continue
        parts = (node.module or "").split(".") if node.module else []
        base = PurePosixPath(rel).parents[node.level - 1] if node.level else None
        for start in ([base] if base is not None else
                      [PurePosixPath(), PurePosixPath("src")]):
            for candidate in (start.joinpath(*parts).with_suffix(".py") if parts else None,
                              start.joinpath(*parts, "__init__.py")):
                if candidate is not None and ranker.project_rel(
                        ranker.root / candidate) is not None and \
                        (ranker.root / candidate).is_file():
                    return candidate.as_posix()
    return None


def _ran(ranker: Ranker, rel: str, span: FunctionSpan) -> bool:
    return any(span.contains(n) for n in ranker.executed.get(rel, ()))
