"""Mutation operators: single text edits at AST nodes that fit common real bugs.

Each operator yields :class:`Edit` splices of the original text. Priors (the
``PRIORS`` table) say how often an operator's kind of edit is the fix in seeded
and real single-fault bugs as reported in the repair literature (operator and
off-by-one faults are the most common, then wrong variable, wrong call, missing
condition); they are round numbers, not fitted to our corpus. See docs/offline.md.
"""

from __future__ import annotations

import ast
import bisect
import builtins
import collections
import dataclasses
import math
import re
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from typing import Final

from pytest_agent.engines.offline._evidence import Evidence
from pytest_agent.engines.offline._risk import risk_of
from pytest_agent.engines.offline._scope import FunctionScope
from pytest_agent.engines.offline._scope import empty_value
from pytest_agent.engines.offline._scope import function_scope
from pytest_agent.engines.offline._source import Edit
from pytest_agent.engines.offline._source import SourceFile
from pytest_agent.engines.offline._truth import ConditionFacts
from pytest_agent.engines.offline._truth import condition_nodes
from pytest_agent.engines.offline._truth import degenerate
from pytest_agent.engines.offline._truth import inserted_conditions

__all__ = ["PRIORS", "Mutator", "mutations", "span_mutations"]

PRIORS: Final[dict[str, float]] = {
    "compare": 1.0,
    "constant": 0.8,
    "drop-one": 0.8,
    "off-by-one": 0.7,
    "boolop": 0.8,
    "arith": 0.7,
    "augassign": 0.7,
    "bool-constant": 0.7,
    "negate": 0.7,
    "call": 0.6,
    "swap-args": 0.6,
    "swap-index": 0.6,
    "swap-elements": 0.6,
    "drop-conjunct": 0.6,
    "variable": 0.5,
    "attribute": 0.5,
    "swap-operands": 0.5,
    "swap-names": 0.45,
    "magnitude": 0.4,
    "unwrap-call": 0.4,
    "drop-arg": 0.35,
    "strengthen": 0.4,
    "weaken": 0.35,
    "guard": 0.4,
    "pair-guard": 0.4,
    "catch": 0.4,
    "delete": 0.35,
    "move": 0.3,
    "reuse": 0.3,
    "reuse-statement": 0.25,
    # Fix templates (``_templates``): the kinds of the APR literature beyond mutation.
    "offset-variable": 0.4,
    "slice-sequence": 0.4,
    "wrap-call": 0.35,
    "return-expression": 0.4,
    "loop-condition": 0.5,
    "none-guard": 0.45,
    "insert-statement": 0.35,
    "reuse-expression": 0.35,
    "swap-concat": 0.3,
    "synthesize-condition": 0.25,
    "use-parameter": 0.45,
    "own-class": 0.45,
    "raise-guard": 0.4,
    "or-default": 0.35,
    "truth-test": 0.45,
    "ceil-division": 0.4,
    "split-limit": 0.5,
    "default-param": 0.4,
    "regex": 0.5,
}

_COMPARE_SWAPS: Final[dict[type[ast.cmpop], tuple[str, ...]]] = {
    ast.Lt: ("<=", ">", ">=", "==", "!="),
    ast.LtE: ("<", ">=", ">", "==", "!="),
    ast.Gt: (">=", "<", "<=", "==", "!="),
    ast.GtE: (">", "<=", "<", "==", "!="),
    ast.Eq: ("!=", "<=", ">="),
    ast.NotEq: ("==",),
    ast.In: ("not in",),
    ast.NotIn: ("in",),
    ast.Is: ("is not", "=="),
    ast.IsNot: ("is", "!="),
}
_COMPARE_TEXT: Final[dict[type[ast.cmpop], str]] = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
    ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not",
}
_ARITH_SWAPS: Final[dict[str, tuple[str, ...]]] = {
    "+": ("-", "*"),
    "-": ("+",),
    "*": ("/", "//", "+", "**"),
    "/": ("//", "*"),
    "//": ("/", "%", "*"),
    "%": ("//",),
    "**": ("*",),
    "<<": (">>",),
    ">>": ("<<",),
    "&": ("|", "^"),
    "|": ("&", "^"),
    "^": ("|", "&"),
}
_ARITH_TEXT: Final[dict[type[ast.operator], str]] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
    ast.Mod: "%", ast.Pow: "**", ast.LShift: "<<", ast.RShift: ">>", ast.BitAnd: "&",
    ast.BitOr: "|", ast.BitXor: "^",
}
# Names of calls that are commonly confused for each other (both directions).
_SIMILAR_CALLS: Final[tuple[tuple[str, ...], ...]] = (
    ("min", "max"), ("any", "all"), ("floor", "ceil", "round", "int"), ("lower", "upper"),
    ("startswith", "endswith"), ("lstrip", "rstrip", "strip"), ("append", "extend"),
    ("pop", "popleft"), ("appendleft", "append"), ("keys", "values", "items"),
    ("find", "rfind", "index"), ("remove", "discard"), ("sorted", "reversed"),
    ("isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower"),
    ("split", "rsplit"), ("sum", "len", "max", "min"), ("insert", "append"),
    ("add", "discard"), ("get", "pop", "setdefault"), ("update", "setdefault"),
    ("title", "lower", "upper", "capitalize", "casefold"), ("heappush", "heappop"),
    ("bisect_left", "bisect_right"), ("bisect", "bisect_left"),
    ("isinstance", "issubclass"), ("str", "repr"), ("list", "tuple", "set", "sorted"),
)
_FUNC_NODES = (ast.FunctionDef, ast.AsyncFunctionDef)
#: Rank multiplier of an edit that reads a name bound and never read (see ``Mutator.hint``).
DEAD_NAME_HINT: Final = 2.0
_MAX_PER_SITE = 12
_OP_RE = re.compile(r"\*\*|//|<<|>>|[-+*/%@&|^]")


def mutations(src: SourceFile, first: int, last: int,
              evidence: Evidence | None = None) -> Iterator[Edit]:
    """Every single edit of the operators at nodes starting in lines ``first..last``
    (``evidence``: the failing tests' symptoms, for the templates that need them)."""
    yield from Mutator(src, first, last, evidence).run()


def span_mutations(src: SourceFile, spans: Iterable[tuple[int, int]],
                   evidence: Evidence | None = None) -> Iterator[tuple[int, Edit]]:
    """:func:`mutations` of several line spans of one module, with the index of the span
    of each edit: one :class:`Mutator` gathers the module's facts once for them all."""
    mutator: Mutator | None = None
    for index, (first, last) in enumerate(spans):
        if mutator is None:
            mutator = Mutator(src, first, last, evidence)
        mutator.first, mutator.last = first, last
        for edit in mutator.run():
            yield index, edit


def _assigned_pairs(target: ast.expr, value: ast.expr) -> list[tuple[str, ast.expr]]:
    """(name, value) of an assignment to names: ``a = v`` and ``a, b = v, w``."""
    if isinstance(target, ast.Name):
        return [(target.id, value)]
    if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and \
            len(target.elts) == len(value.elts):
        return [(t.id, v) for t, v in zip(target.elts, value.elts, strict=True)
                if isinstance(t, ast.Name)]
    return []


def _store_names(node: ast.AST) -> set[str]:
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            names.add(sub.id)
        elif isinstance(sub, ast.arg):
            names.add(sub.arg)
    return names


def _free_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)}


class Mutator:
    """The operators and templates at every node of lines ``first..last`` of a module,
    with the module facts they draw on (names, conditions, statements, calls)."""

    def __init__(self, src: SourceFile, first: int, last: int,
                 evidence: Evidence | None = None) -> None:
        self.src = src
        self.evidence = evidence or Evidence()
        self.first = first
        self.last = last
        self.parents: dict[ast.AST, ast.AST] = {}
        for parent in ast.walk(src.tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent
        self.module_names = self._module_names()
        self.module_constants = self._module_constants()
        self.conditions = self._module_conditions()
        self.attributes = self._attributes()
        self.statements = self._simple_statements()
        self.call_names = self._call_names()
        self.returns = self._return_values()
        self.displays = self._constant_displays()
        self.counters = self._idle_counters()
        self.unary_functions = [
            f.name for f in src.tree.body if isinstance(f, _FUNC_NODES)
            and len(f.args.args) == 1 and not f.name.startswith(("test", "_"))]
        self._scopes: dict[ast.AST, FunctionScope] = {}
        self._docstrings: list[tuple[int, int]] | None = None
        self._enclosing: dict[ast.AST, ast.FunctionDef | ast.AsyncFunctionDef | None] = {}
        self._stores: dict[ast.AST, set[str]] = {}
        #: Per-node and per-function facts, computed once (every statement of a long
        #: function asks for them: walking the function each time was quadratic).
        self._names: dict[ast.AST | str, frozenset[str]] = {}
        self._function_facts: dict[ast.AST, tuple[list[str], bool, str | None]] = {}
        self._inserted: dict[tuple[int, str], bool] = {}
        self._own: dict[ast.AST, tuple[bool, bool]] = {}
        self._objects = ConditionFacts.of_module(src.tree)
        self._facts: dict[ast.AST | None, ConditionFacts] = {}
        #: The module's conditions by the lines they span: (start, end, node).
        self._conditions_at: dict[int, list[tuple[int, int, ast.expr]]] = {}
        for cond in condition_nodes(src.tree):
            start, end = src.span(cond)
            for n in range(cond.lineno, (cond.end_lineno or cond.lineno) + 1):
                self._conditions_at.setdefault(n, []).append((start, end, cond))

    # -- module facts --------------------------------------------------------

    def _module_names(self) -> set[str]:
        names: set[str] = set()
        for stmt in self.src.tree.body:
            if isinstance(stmt, (*_FUNC_NODES, ast.ClassDef)):
                names.add(stmt.name)
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                names.update((a.asname or a.name).split(".")[0] for a in stmt.names)
            else:
                names |= _store_names(stmt)
        return names

    def _module_constants(self) -> set[str]:
        consts: set[str] = set()
        for stmt in self.src.tree.body:
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                consts |= _store_names(stmt)
        return consts

    def _module_conditions(self) -> list[ast.expr]:
        """Boolean expressions written somewhere in the module ("plastic surgery" material)."""
        found: dict[str, ast.expr] = {}
        for node in ast.walk(self.src.tree):
            tests: list[ast.expr] = []
            if isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)):
                tests.append(node.test)
            if isinstance(node, ast.BoolOp):
                tests.extend(node.values)
            if isinstance(node, ast.comprehension):
                tests.extend(node.ifs)
            for t in tests:
                if isinstance(t, (ast.BoolOp, ast.Constant)):
                    continue
                text = self.src.segment(t)
                if "\n" not in text and len(text) <= 80:
                    found.setdefault(text, t)
        return list(found.values())

    def _attributes(self) -> dict[str, set[str]]:
        """Attribute names read or written on each variable name (``self``, ``entry``...)."""
        attrs: dict[str, set[str]] = {}
        for node in ast.walk(self.src.tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                attrs.setdefault(node.value.id, set()).add(node.attr)
        return attrs

    def _simple_statements(self) -> list[ast.stmt]:
        """One-line assignments and calls written in the module (statements to reuse)."""
        found: dict[str, ast.stmt] = {}
        for node in ast.walk(self.src.tree):
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.Expr)) and \
                    node.lineno == node.end_lineno and not (
                    isinstance(node, ast.Expr) and not isinstance(node.value, ast.Call)):
                text = self.src.segment(node)
                if len(text) <= 80:
                    found.setdefault(text, node)
        return list(found.values())

    def _call_names(self) -> set[str]:
        names: set[str] = set()
        for node in ast.walk(self.src.tree):
            if isinstance(node, ast.Call):
                if isinstance(node.func, ast.Name):
                    names.add(node.func.id)
                elif isinstance(node.func, ast.Attribute):
                    names.add(node.func.attr)
        return names

    def _return_values(self) -> list[str]:
        values: dict[str, None] = {}
        for node in ast.walk(self.src.tree):
            if isinstance(node, ast.Return) and node.value is not None:
                text = self.src.segment(node.value)
                if "\n" not in text and len(text) <= 40:
                    values.setdefault(text, None)
        return list(values)

    def _idle_counters(self) -> set[str]:
        """Attributes the module sets to 0 and never counts up (``self.count = 0``, no
        ``x.count += ...`` nor another assignment; ``x.count -= 1`` may be there): a
        counter nobody counts with."""
        zero: set[str] = set()
        changed: set[str] = set()
        for node in ast.walk(self.src.tree):
            if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Attribute):
                if not isinstance(node.op, ast.Sub):
                    changed.add(node.target.attr)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if not isinstance(target, ast.Attribute):
                        continue
                    value = node.value
                    if isinstance(value, ast.Constant) and value.value == 0 and \
                            type(value.value) is int:
                        zero.add(target.attr)
                    else:
                        changed.add(target.attr)
        return zero - changed

    def _constant_displays(self) -> list[str]:
        """The module's short non-empty displays of constants (``[0]``, ``(0, 0)``), most
        frequent first: the values it writes for a default."""
        found: dict[str, int] = {}
        for node in ast.walk(self.src.tree):
            if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and node.elts and all(
                    isinstance(e, ast.Constant) for e in node.elts):
                text = self.src.segment(node)
                if "\n" not in text and len(text) <= 20:
                    found[text] = found.get(text, 0) + 1
        return sorted(found, key=lambda t: -found[t])

    # -- helpers ---------------------------------------------------------------

    def enclosing_function(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        if node in self._enclosing:
            return self._enclosing[node]
        cur = self.parents.get(node)
        while cur is not None and not isinstance(cur, _FUNC_NODES):
            cur = self.parents.get(cur)
        self._enclosing[node] = cur
        return cur

    def function_scope(self, node: ast.AST) -> FunctionScope | None:
        """The typed names of the function enclosing ``node`` (computed once)."""
        func = self.enclosing_function(node)
        if func is None:
            return None
        if func not in self._scopes:
            self._scopes[func] = function_scope(func)
        return self._scopes[func]

    def fill_calls(self, name: str, item: str) -> list[str]:
        """``name.add(item)`` / ``name.append(item)``: the methods the module calls on
        ``name`` that add one item (both when it calls neither)."""
        used = [m for m in ("append", "add", "appendleft") if m in self.attributes.get(name, ())]
        return [f"{name}.{m}({item})" for m in used or ["append", "add"]]

    def call_statements(self, func: ast.AST | None, first: int, last: int) -> list[str]:
        """``obj.method({})`` for the one-argument call statements of ``func`` outside
        lines ``first..last`` (a similar statement nearby, to model a missing one on)."""
        if func is None:
            return []
        found: dict[str, None] = {}
        for node in ast.walk(func):
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and \
                    not first <= node.lineno <= last and len(node.value.args) == 1 and \
                    not node.value.keywords and isinstance(node.value.func, ast.Attribute):
                head = self.src.segment(node.value.func)
                if "\n" not in head:
                    found.setdefault(head + "({})", None)
        return list(found)

    def bound_at(self, name: str, node: ast.AST) -> bool:
        """``name`` can hold a value where ``node`` reads it: a module constant, a local
        bound on an earlier line (or anywhere in a loop around the read, which may run
        again), or the target of a comprehension around the read. Other locals would
        raise ``NameError``/``UnboundLocalError``: cheap static rejection, no test run."""
        if name in self.module_constants and name not in self._local_stores(node):
            return True
        fs = self.function_scope(node)
        line = getattr(node, "lineno", 0)
        if fs is not None and name in fs.first_bound:
            if fs.first_bound[name] < line:
                return True
            func = self.enclosing_function(node)
            return func is not None and any(isinstance(a, (ast.For, ast.While, ast.AsyncFor))
                                            for a in self._ancestors(node, func))
        return any(isinstance(a, _COMPREHENSIONS) and name in self.stores(a)
                   for a in self._ancestors(node, None))

    def readable(self, expr: ast.AST, node: ast.AST) -> bool:
        """Every name ``expr`` reads has a value where ``node`` is: a local bound there
        (:meth:`bound_at`), else a module-level name or a builtin."""
        local = self._local_stores(node)
        return all(self.bound_at(n, node) if n in local else
                   n in self.module_names or n in _BUILTINS for n in self.free_names(expr))

    def free_names(self, expr: ast.AST | str) -> frozenset[str]:
        """The names ``expr`` (a node, or an expression's text) reads, computed once."""
        found = self._names.get(expr)
        if found is None:
            node = ast.parse(expr, mode="eval") if isinstance(expr, str) else expr
            found = self._names[expr] = frozenset(_free_names(node))
        return found

    def own_returns(self, func: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[bool, bool]:
        """Whether ``func`` itself (not a nested def) yields, and returns a value."""
        if func not in self._own:
            own = [n for n in ast.walk(func) if self.enclosing_function(n) is func or n is func]
            self._own[func] = (any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in own),
                               any(isinstance(n, ast.Return) and n.value is not None
                                   for n in own))
        return self._own[func]

    def function_facts(self, func: ast.FunctionDef | ast.AsyncFunctionDef
                       ) -> tuple[list[str], bool, str | None]:
        """``not self.<attr>`` for the attributes the method reads (not calls), whether it
        returns a value, and the empty value of what it returns; computed once."""
        if func not in self._function_facts:
            attrs = sorted({f"not self.{n.attr}" for n in ast.walk(func)
                            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                            and n.value.id == "self" and isinstance(n.ctx, ast.Load)
                            and not isinstance(self.parents.get(n), ast.Call)})
            returns_value = any(isinstance(n, ast.Return) and n.value is not None
                                for n in ast.walk(func))
            self._function_facts[func] = (attrs, returns_value, empty_value(func))
        return self._function_facts[func]

    def stores(self, node: ast.AST) -> set[str]:
        """The names ``node`` (a function, a comprehension) binds, computed once."""
        if node not in self._stores:
            self._stores[node] = _store_names(node)
        return self._stores[node]

    def _local_stores(self, node: ast.AST) -> set[str]:
        func = self.enclosing_function(node)
        return self.stores(func) if func is not None else set()

    def scope_names(self, node: ast.AST) -> set[str]:
        return self._local_stores(node) | self.module_constants

    def edit(self, start: int, end: int, new: str, line: int, op: str, what: str) -> Edit:
        return Edit(self.src.path, start, end, new, line, op, PRIORS[op], what,
                    old=self.src.text[start:end])

    def replace(self, node: ast.AST, new: str, op: str, what: str = "") -> Edit:
        start, end = self.src.span(node)
        old = self.src.text[start:end]
        return self.edit(start, end, new, node.lineno,  # type: ignore[attr-defined]
                         op, what or f"{old} -> {new}")

    def gap_op(self, left: ast.AST, right: ast.AST, old: str) -> tuple[int, int] | None:
        """The text span of the operator token ``old`` between two operands."""
        _, a = self.src.span(left)
        b, _ = self.src.span(right)
        gap = self.src.text[a:b]
        if "#" in gap:
            return None
        idx = gap.find(old) if old.isalpha() or " " in old else -1
        if idx < 0:
            m = next((m for m in _OP_RE.finditer(gap) if m.group() == old), None)
            if m is None:
                m = next(iter(re.finditer(re.escape(old), gap)), None)
            if m is None:
                return None
            idx = m.start()
        return a + idx, a + idx + len(old)

    def in_range(self, node: ast.AST) -> bool:
        line = getattr(node, "lineno", None)
        return line is not None and self.first <= line <= self.last

    # -- the walk ----------------------------------------------------------

    def run(self) -> Iterator[Edit]:
        for node in self._nodes_in_range():
            for edit in self.edits_at(node):
                if edit.op != "default-param" and self._touches_docstring(edit):
                    # A statement put before a docstring makes it a plain string
                    # (``__doc__`` becomes None); moving or editing it changes only
                    # the documentation: never a fix, sometimes a plausible one.
                    # (default-param spans a docstring from the signature to the body
                    # and keeps its text.)
                    continue
                if self.makes_constant_condition(edit, node):
                    continue
                risky = risk_of(edit, node, self.parents)
                hint = self.hint(edit, node)
                if risky or hint != 1.0:
                    edit = dataclasses.replace(edit, risky=risky, hint=hint)
                yield edit

    def _nodes_in_range(self) -> Iterator[ast.AST]:
        """The nodes starting in lines ``first..last``, in ``ast.walk``'s order: its
        breadth-first walk without the subtrees that lie wholly outside those lines
        (walking the whole module for each searched function was most of the edit
        generation of a 2,500-line module)."""
        queue: collections.deque[ast.AST] = collections.deque([self.src.tree])
        while queue:
            node = queue.popleft()
            queue.extend(child for child in ast.iter_child_nodes(node)
                         if not self._outside(child))
            if self.in_range(node):
                yield node

    def _outside(self, node: ast.AST) -> bool:
        """``node`` and everything below it lie outside lines ``first..last`` (decorators
        come before a definition's ``lineno``; nodes without lines are never skipped)."""
        start: int | None = getattr(node, "lineno", None)
        end: int | None = getattr(node, "end_lineno", None)
        if start is None or end is None:
            return False
        for decorator in getattr(node, "decorator_list", ()):
            start = min(start, decorator.lineno)
        return end < self.first or start > self.last

    def _touches_docstring(self, edit: Edit) -> bool:
        """The edit changes a docstring, or inserts at its start or across it."""
        if self._docstrings is None:
            self._docstrings = sorted(self._docstring_spans())
        spans = self._docstrings
        # Docstring spans never overlap: the last one starting at or before the edit is
        # the only one that can hold its start; the next one may start inside the edit.
        at = bisect.bisect_right(spans, (edit.start, math.inf)) - 1
        if at >= 0 and (edit.start < spans[at][1] or edit.start == spans[at][0] == edit.end):
            return True
        return at + 1 < len(spans) and spans[at + 1][0] < edit.end

    def condition_facts(self, node: ast.AST) -> ConditionFacts:
        """The names and attributes that are always true where ``node`` is (see
        ``_truth``): the module's functions, classes and the builtins the function does
        not assign, and ``self.<method>`` for its class's methods."""
        func = self.enclosing_function(node)
        if func not in self._facts:
            methods: frozenset[str] = frozenset()
            owner = self.parents.get(func) if func is not None else None
            if isinstance(owner, ast.ClassDef):
                assigned = {n.attr for n in ast.walk(owner) if isinstance(n, ast.Attribute)
                            and isinstance(n.ctx, ast.Store)}
                methods = frozenset(s.name for s in owner.body
                                    if isinstance(s, _FUNC_NODES)) - assigned
            local = self.stores(func) if func is not None else set()
            self._facts[func] = ConditionFacts(self._objects - local, methods)
        return self._facts[func]

    def makes_constant_condition(self, edit: Edit, node: ast.AST) -> bool:
        """The edit writes a condition whose truth is fixed, or an ``and``/``or``
        operand that is (``not self.__class__``, ``if len:``, ``1 == 2``, ``c or Class``):
        a branch removed in disguise. Explicit ``True``/``False`` (``bool-constant``)
        stay, as the marked overfitting pattern of ``_risk``."""
        if edit.op == "bool-constant":
            return False
        facts = self.condition_facts(node)
        if edit.start == edit.end or "\n" in edit.new:
            key = (id(facts), edit.new.strip())
            if key not in self._inserted:
                self._inserted[key] = any(degenerate(c, facts)
                                          for c in inserted_conditions(edit.new))
            if self._inserted[key]:
                return True
        inside = [(s, e, c) for s, e, c in self._conditions_at.get(edit.line, ())
                  if s <= edit.start and edit.end <= e and (s, e) != (edit.start, edit.start)]
        if not inside:
            return False
        start, end, cond = min(inside, key=lambda t: t[1] - t[0])
        text = self.src.text
        new = text[start:edit.start] + edit.new + text[edit.end:end]
        try:
            tree = ast.parse(f"({new})", mode="eval")
        except SyntaxError:
            return False
        return degenerate(tree.body, facts) and not degenerate(cond, facts)

    def _docstring_spans(self) -> list[tuple[int, int]]:
        """Text spans (from the start of its line) of the docstrings of the module, its
        classes and functions."""
        spans: list[tuple[int, int]] = []
        for node in ast.walk(self.src.tree):
            body = getattr(node, "body", None)
            if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                     ast.AsyncFunctionDef)) or not body:
                continue
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and \
                    isinstance(first.value.value, str):
                spans.append((self.src.line_start(first.lineno), self.src.span(first)[1]))
        return spans

    def hint(self, edit: Edit, node: ast.AST) -> float:
        """:data:`DEAD_NAME_HINT` for an edit that reads a name its function binds and
        never reads (a parameter or a dead store, pyflakes' ARG/F841): code that computes
        a value and drops it is the commonest sign of where a fix goes."""
        fs = self.function_scope(node)
        if fs is None or not (fs.unused or fs.unread):
            return 1.0
        for name in fs.unused | fs.unread:
            pattern = rf"\b{re.escape(name)}\b"
            if re.search(pattern, edit.new) and not re.search(pattern, edit.old):
                return DEAD_NAME_HINT
        return 1.0

    def edits_at(self, node: ast.AST) -> Iterator[Edit]:
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is not None:
            yield from method(node)
        if isinstance(node, ast.stmt):
            yield from self.statement_ops(node)
        yield from template_edits(self, node)

    # -- operators by node type -----------------------------------------------

    def visit_Compare(self, node: ast.Compare) -> Iterator[Edit]:
        operands = [node.left, *node.comparators]
        for i, op in enumerate(node.ops):
            old = _COMPARE_TEXT[type(op)]
            span = self.gap_op(operands[i], operands[i + 1], old.split()[0])
            if span is None:
                continue
            start, end = span
            if old in ("not in", "is not"):
                # The token spans two words: replace up to the end of the second.
                end = start + self.src.text[start:].find(old.split()[1]) + len(old.split()[1])
            for new in _COMPARE_SWAPS[type(op)]:
                yield self.edit(start, end, new, node.lineno, "compare", f"{old} -> {new}")
        # Off by one on each side of a single ordering comparison.
        if len(node.ops) == 1 and isinstance(node.ops[0], (ast.Lt, ast.LtE, ast.Gt, ast.GtE,
                                                            ast.Eq, ast.NotEq)):
            for side in operands:
                yield from self.plus_minus_one(side)
        yield from self.negate(node)
        yield from self.strengthen(node)

    def visit_BinOp(self, node: ast.BinOp) -> Iterator[Edit]:
        old = _ARITH_TEXT.get(type(node.op))
        if old is None:
            return
        span = self.gap_op(node.left, node.right, old)
        if span is not None:
            for new in _ARITH_SWAPS.get(old, ()):
                yield self.edit(*span, new, node.lineno, "arith", f"{old} -> {new}")
        # ``x + 1`` / ``x - 1``: drop the one (an off-by-one in the other direction).
        if isinstance(node.op, (ast.Add, ast.Sub)) and isinstance(node.right, ast.Constant) \
                and node.right.value == 1:
            yield self.replace(node, self.src.segment(node.left), "drop-one")
        if not isinstance(node.op, (ast.Add, ast.Mult, ast.BitAnd, ast.BitOr, ast.BitXor)) \
                and span is not None:
            left, right = self.src.segment(node.left), self.src.segment(node.right)
            if "\n" not in left + right:
                a, _ = self.src.span(node.left)
                _, b = self.src.span(node.right)
                mid = self.src.text[self.src.span(node.left)[1]:self.src.span(node.right)[0]]
                yield self.edit(a, b, right + mid + left, node.lineno, "swap-operands",
                                f"swap {left} and {right}")

    def visit_BoolOp(self, node: ast.BoolOp) -> Iterator[Edit]:
        old = "and" if isinstance(node.op, ast.And) else "or"
        new = "or" if old == "and" else "and"
        for left, right in zip(node.values, node.values[1:], strict=False):
            span = self.gap_op(left, right, old)
            if span is not None:
                yield self.edit(*span, new, node.lineno, "boolop", f"{old} -> {new}")
        # Drop one operand (weaken an ``and``, strengthen an ``or``).
        for i, value in enumerate(node.values):
            rest = [self.src.segment(v) for j, v in enumerate(node.values) if j != i]
            if any("\n" in r for r in rest):
                continue
            joined = f" {old} ".join(rest)
            yield self.replace(node, joined if len(rest) == 1 or
                               isinstance(self.parents.get(node), (ast.If, ast.While))
                               else f"({joined})", "drop-conjunct",
                               f"drop {self.src.segment(value)}")

    def visit_AugAssign(self, node: ast.AugAssign) -> Iterator[Edit]:
        old = _ARITH_TEXT.get(type(node.op))
        if old is None:
            return
        span = self.gap_op(node.target, node.value, old + "=")
        if span is None:
            return
        for new in (*_ARITH_SWAPS.get(old, ()), ""):
            yield self.edit(*span, new + "=", node.lineno, "augassign",
                            f"{old}= -> {new}=")
        # The step of an accumulation off by one (``i += n`` -> ``i += n + 1``).
        yield from self.plus_minus_one(node.value)

    def visit_Constant(self, node: ast.Constant) -> Iterator[Edit]:
        value = node.value
        if isinstance(value, str):
            yield from self.regex_edits(node)
        elif isinstance(value, bool):
            yield self.replace(node, str(not value), "bool-constant")
        elif isinstance(value, int) and self.src.segment(node).isdigit():
            parent = self.parents.get(node)
            if isinstance(parent, ast.UnaryOp):
                return  # -1 etc.: the UnaryOp's own edits cover it
            for new in (value + 1, value - 1):
                if new >= 0:
                    yield self.replace(node, str(new), "constant")
            if value > 1:
                yield self.replace(node, "0", "constant")
                yield self.replace(node, "1", "constant")
            if value >= 10 and value % 10 == 0:
                # A wrong order of magnitude (100 for 1000, 0.1 for 1.0).
                yield self.replace(node, str(value // 10), "magnitude")
                yield self.replace(node, str(value * 10), "magnitude")

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Iterator[Edit]:
        if isinstance(node.op, ast.Not):
            yield self.replace(node, self.src.segment(node.operand), "negate",
                               f"drop not: {self.src.segment(node)}")
        elif isinstance(node.op, ast.USub):
            yield self.replace(node, self.src.segment(node.operand), "constant",
                               f"drop minus: {self.src.segment(node)}")
            if isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, int):
                yield self.replace(node, f"-{node.operand.value + 1}", "constant")
                if node.operand.value > 1:
                    yield self.replace(node, f"-{node.operand.value - 1}", "constant")

    def visit_Subscript(self, node: ast.Subscript) -> Iterator[Edit]:
        index = node.slice
        if isinstance(index, ast.Slice):
            for bound in (index.lower, index.upper):
                if bound is not None:
                    yield from self.plus_minus_one(bound)
            base_end = self.src.span(node.value)[1]
            _, end = self.src.span(node)
            # Drop a bound: ``x[a:b]`` -> ``x[a:]`` / ``x[:b]``.
            if index.lower is not None and index.upper is not None and index.step is None:
                lo, up = self.src.segment(index.lower), self.src.segment(index.upper)
                yield self.edit(base_end, end, f"[{lo}:]", node.lineno, "off-by-one",
                                f"drop upper bound {up}")
                yield self.edit(base_end, end, f"[:{up}]", node.lineno, "off-by-one",
                                f"drop lower bound {lo}")
        elif not isinstance(index, ast.Tuple):
            yield from self.plus_minus_one(index)
            # ``a[i][j]`` -> ``a[j][i]``: transposed indices.
            inner = node.value
            if isinstance(inner, ast.Subscript) and not isinstance(inner.slice,
                                                                   (ast.Slice, ast.Tuple)):
                i, j = self.src.segment(inner.slice), self.src.segment(index)
                if i != j and "\n" not in i + j:
                    base = self.src.segment(inner.value)
                    yield self.replace(node, f"{base}[{j}][{i}]", "swap-index")

    def visit_Call(self, node: ast.Call) -> Iterator[Edit]:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else None)
        if name == "range":
            for arg in node.args[:2]:
                yield from self.plus_minus_one(arg)
        if name is not None:
            yield from self.replace_call(node, name)
        positional = [a for a in node.args if not isinstance(a, ast.Starred)]
        if len(positional) == len(node.args) >= 2:
            for a, b in zip(node.args, node.args[1:], strict=False):
                yield from self.swap(a, b, "swap-args")
        for arg in node.args:
            # ``text.split(" ")`` -> ``text.split()``: an argument that should not be there.
            rest = [self.src.segment(a) for a in node.args if a is not arg]
            rest += [self.src.segment(k) for k in node.keywords]
            if all("\n" not in r for r in rest) and not isinstance(arg, ast.Starred):
                start, end = self.src.span(node)
                head = self.src.text[start:self.src.span(func)[1]]
                yield self.edit(start, end, f"{head}({', '.join(rest)})", node.lineno,
                                "drop-arg", f"drop argument {self.src.segment(arg)}")
        if len(node.args) == 1 and not node.keywords and isinstance(func, ast.Name) \
                and not isinstance(node.args[0], ast.Starred):
            yield self.replace(node, self.src.segment(node.args[0]), "unwrap-call",
                               f"unwrap {name}()")

    def visit_Tuple(self, node: ast.Tuple) -> Iterator[Edit]:
        for a, b in zip(node.elts, node.elts[1:], strict=False):
            yield from self.swap(a, b, "swap-elements")

    def visit_Name(self, node: ast.Name) -> Iterator[Edit]:
        if not isinstance(node.ctx, ast.Load):
            return
        scope = self.scope_names(node)
        if node.id not in scope or node.id in ("self", "cls"):
            return
        func = self.enclosing_function(node)
        others = sorted(n for n in scope - {node.id, "self", "cls"} - (
            {func.name} if func is not None else set()) if self.bound_at(n, node))
        for other in others[:_MAX_PER_SITE]:
            yield self.replace(node, other, "variable")

    def visit_Attribute(self, node: ast.Attribute) -> Iterator[Edit]:
        if not (isinstance(node.ctx, ast.Load) and isinstance(node.value, ast.Name)):
            return
        parent = self.parents.get(node)
        if isinstance(parent, ast.Call) and parent.func is node:
            return  # a method call: the call operator replaces its name
        base = node.value.id
        start = self.src.span(node)[1] - len(node.attr)
        for other in sorted(self.attributes.get(base, set()) - {node.attr})[:_MAX_PER_SITE]:
            yield self.edit(start, start + len(node.attr), other, node.lineno, "attribute",
                            f"{base}.{node.attr} -> {base}.{other}")

    def visit_If(self, node: ast.If) -> Iterator[Edit]:
        yield from self.condition_ops(node.test)

    def visit_While(self, node: ast.While) -> Iterator[Edit]:
        yield from self.condition_ops(node.test)

    def visit_IfExp(self, node: ast.IfExp) -> Iterator[Edit]:
        yield from self.condition_ops(node.test)

    def visit_Return(self, node: ast.Return) -> Iterator[Edit]:
        if node.value is None:
            return
        current = self.src.segment(node.value)
        scope = self.scope_names(node)
        for value in self.returns:
            if value != current and self.free_names(value) <= (
                    scope | self.module_names | _BUILTINS):
                yield self.replace(node.value, value, "reuse", f"return {value}")

    def regex_edits(self, node: ast.Constant) -> Iterator[Edit]:
        """A wrong quantifier or anchor in a string that is a regular expression (or a
        piece of one): ``+`` <-> ``*`` after an atom, ``^...$`` -> ``\\A...\\Z``. Quantifier
        and anchor edits are the commonest regex fixes in the studies of regex evolution
        (Wang, Brown, Stolee: "Exploring regular expression evolution", SANER 2019)."""
        text = self.src.segment(node)
        if "\n" in text or isinstance(self.parents.get(node), ast.JoinedStr):
            return
        start, _ = self.src.span(node)
        body = text.find(text[-1]) + 1  # past the prefix and the opening quote
        anchored = text[body:body + 1] == "^" and text.endswith(("$'", '$"'))
        if not (anchored or _REGEX_LIKE.search(text)):
            return
        for at in _quantifiers(text, body):
            new = _QUANTIFIER_SWAPS[text[at]]
            yield self.edit(start + at, start + at + 1, new, node.lineno, "regex",
                            f"quantifier {text[at]} -> {new} in {text}")
        # In a raw literal ``\\A`` is written as is; elsewhere its backslash is escaped.
        slash = "\\" if "r" in text[:body].lower() else "\\\\"
        if anchored and len(text) > body + 2:
            new = f"{text[:body]}{slash}A{text[body + 1:-2]}{slash}Z{text[-1]}"
            yield self.replace(node, new, "regex", f"anchors ^$ -> \\A\\Z in {text}")

    # -- shared edits ------------------------------------------------------

    def condition_ops(self, test: ast.expr) -> Iterator[Edit]:
        if isinstance(test, ast.Compare):
            return  # the Compare visit negates and strengthens it
        yield from self.negate(test)
        yield from self.strengthen(test)

    def negate(self, test: ast.expr) -> Iterator[Edit]:
        text = self.src.segment(test)
        if "\n" in text or isinstance(test, ast.UnaryOp):
            return
        simple = isinstance(test, (ast.Name, ast.Attribute, ast.Call, ast.Subscript))
        yield self.replace(test, f"not {text}" if simple else f"not ({text})", "negate")

    def strengthen(self, test: ast.expr) -> Iterator[Edit]:
        """``c`` -> ``c and d`` / ``c or d`` for conditions ``d`` written elsewhere in scope."""
        text = self.src.segment(test)
        if "\n" in text:
            return
        scope = self.scope_names(test) | self.module_names | _BUILTINS
        wrap = f"({text})" if isinstance(test, (ast.BoolOp, ast.IfExp, ast.Lambda)) else text
        count = 0
        for cond in self.conditions:
            other = self.src.segment(cond)
            if other == text or cond is test or not self.free_names(cond) <= scope:
                continue
            yield self.replace(test, f"{wrap} and {other}", "strengthen", f"and {other}")
            yield self.replace(test, f"{wrap} or {other}", "weaken", f"or {other}")
            count += 1
            if count >= _MAX_PER_SITE:
                return

    def plus_minus_one(self, expr: ast.expr) -> Iterator[Edit]:
        if isinstance(expr, ast.Constant):
            return  # the Constant visit changes it directly
        text = self.src.segment(expr)
        if "\n" in text or isinstance(expr, (ast.Tuple, ast.List, ast.Dict, ast.Set)):
            return
        wrap = f"({text})" if isinstance(expr, (ast.BoolOp, ast.Compare, ast.IfExp, ast.Lambda,
                                                ast.UnaryOp)) else text
        yield self.replace(expr, f"{wrap} + 1", "off-by-one")
        yield self.replace(expr, f"{wrap} - 1", "off-by-one")

    def swap(self, a: ast.expr, b: ast.expr, op: str) -> Iterator[Edit]:
        ta, tb = self.src.segment(a), self.src.segment(b)
        if ta == tb or "\n" in ta + tb:
            return
        start, mid_start = self.src.span(a)
        mid_end, end = self.src.span(b)
        mid = self.src.text[mid_start:mid_end]
        yield self.edit(start, end, tb + mid + ta, a.lineno, op, f"swap {ta} and {tb}")

    def replace_call(self, node: ast.Call, name: str) -> Iterator[Edit]:
        func = node.func
        candidates: dict[str, None] = {}
        for group in _SIMILAR_CALLS:
            if name in group:
                candidates.update(dict.fromkeys(n for n in group if n != name))
        if isinstance(func, ast.Name):
            # Another function of this module with the same number of parameters.
            for stmt in self.src.tree.body:
                if isinstance(stmt, _FUNC_NODES) and stmt.name != name and \
                        len(stmt.args.args) == len(node.args) and not stmt.name.startswith("test"):
                    candidates.setdefault(stmt.name, None)
        start, end = self.src.span(func)
        if isinstance(func, ast.Attribute):
            start = end - len(func.attr)
        for new in list(candidates)[:_MAX_PER_SITE]:
            if isinstance(func, ast.Name) and new not in (self.module_names | _BUILTINS
                                                          | self.call_names):
                continue
            yield self.edit(start, end, new, node.lineno, "call", f"{name}() -> {new}()")

    def statement_ops(self, stmt: ast.stmt) -> Iterator[Edit]:
        if isinstance(stmt, (*_FUNC_NODES, ast.ClassDef, ast.Import, ast.ImportFrom)):
            return
        parent = self.parents.get(stmt)
        body = _body_holding(parent, stmt)
        if body is None:
            return
        src = self.src
        start = src.line_start(stmt.lineno)
        end_line = stmt.end_lineno or stmt.lineno
        end = src.line_start(end_line + 1) if end_line < len(src.lines) else len(src.text)
        if src.text[start:src.offset(stmt.lineno, stmt.col_offset)].strip():
            return  # shares its line with other code (``if x: y``); leave it
        indent = src.indent_of(stmt.lineno)
        is_docstring = isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
        if not is_docstring:
            # Delete it (``pass`` keeps a block that would be empty valid).
            replacement = f"{indent}pass\n" if len(body) == 1 else ""
            yield self.edit(start, end, replacement, stmt.lineno, "delete",
                            f"delete line {stmt.lineno}")
        idx = body.index(stmt)
        if idx + 1 < len(body) and not is_docstring:
            nxt = body[idx + 1]
            nxt_end_line = nxt.end_lineno or nxt.lineno
            if src.text[src.line_start(nxt.lineno):src.offset(nxt.lineno, nxt.col_offset)] \
                    .strip() == "" and not isinstance(nxt, (*_FUNC_NODES, ast.ClassDef)):
                nxt_end = (src.line_start(nxt_end_line + 1) if nxt_end_line < len(src.lines)
                           else len(src.text))
                this_text = src.text[start:end]
                next_text = src.text[end:nxt_end]
                if this_text.endswith("\n") and next_text.endswith("\n"):
                    yield self.edit(start, nxt_end, next_text + this_text, stmt.lineno, "move",
                                    f"swap lines {stmt.lineno} and {nxt.lineno}")
        yield from self.guards(stmt, start, indent)
        yield from self.reuse_statements(stmt, start, end, indent)
        yield from self.swap_names(stmt)

    def swap_names(self, stmt: ast.stmt) -> Iterator[Edit]:
        """Exchange two different variables read in one simple statement (``a * b / c``)."""
        exprs: list[ast.AST] = [stmt]
        if isinstance(stmt, (ast.If, ast.While)):
            exprs = [stmt.test]
        elif isinstance(stmt, ast.For):
            exprs = [stmt.iter]
        elif isinstance(stmt, (ast.With, ast.Try)):
            return
        names = [n for e in exprs for n in ast.walk(e)
                 if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                 and n.lineno == n.end_lineno]
        names.sort(key=lambda n: (n.lineno, n.col_offset))
        count = 0
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                if a.id == b.id or a.lineno != b.lineno:
                    continue
                sa, ea = self.src.span(a)
                sb, eb = self.src.span(b)
                mid = self.src.text[ea:sb]
                yield self.edit(sa, eb, b.id + mid + a.id, a.lineno, "swap-names",
                                f"swap {a.id} and {b.id}")
                count += 1
                if count >= _MAX_PER_SITE:
                    return

    def reuse_statements(self, stmt: ast.stmt, start: int, end: int, indent: str
                         ) -> Iterator[Edit]:
        """Insert before ``stmt``, or put instead of it, a statement written elsewhere."""
        func = self.enclosing_function(stmt)
        if func is None:
            return
        scope = self.scope_names(stmt) | self.module_names | _BUILTINS
        own = self.src.segment(stmt)
        count = 0
        for other in self.statements:
            text = self.src.segment(other)
            if text == own or other is stmt or not self.free_names(other) <= scope:
                continue
            yield self.edit(start, start, f"{indent}{text}\n", stmt.lineno, "reuse-statement",
                            f"insert '{text}' before line {stmt.lineno}")
            if not isinstance(stmt, (ast.If, ast.For, ast.While, ast.With, ast.Try)):
                yield self.edit(start, end, f"{indent}{text}\n", stmt.lineno,
                                "reuse-statement", f"line {stmt.lineno} -> '{text}'")
            count += 1
            if count >= _MAX_PER_SITE:
                return

    def guards(self, stmt: ast.stmt, start: int, indent: str) -> Iterator[Edit]:
        """Insert ``if <cond>: return <value>`` / ``continue`` before ``stmt``."""
        func = self.enclosing_function(stmt)
        if func is None:
            return
        scope = self.scope_names(stmt) | self.module_names | _BUILTINS
        conds: list[str] = []
        for arg in func.args.args + func.args.kwonlyargs:
            if arg.arg not in ("self", "cls"):
                conds += [f"not {arg.arg}", f"{arg.arg} is None"]
        # Empty state: ``not self.items`` for the attributes the method reads.
        self_attrs, returns_value, empty = self.function_facts(func)
        conds += self_attrs
        # Empty or zero local state (``not dims``) for the collections and numbers the
        # function computed before: an empty input shows there first.
        fs = self.function_scope(stmt)
        if fs is not None:
            params = {a.arg for a in func.args.args + func.args.kwonlyargs}
            typed = fs.collections | fs.numbers
            conds += [f"not {n}" for n in sorted(fs.bound_before(stmt.lineno) & typed - params)]
        conds += [self.src.segment(c) for c in self.conditions if self.readable(c, stmt)]
        in_loop = any(isinstance(p, (ast.For, ast.While)) for p in self._ancestors(stmt, func))
        actions = ["continue"] if in_loop else []
        if returns_value:
            actions += [f"return {v}" for v in self.returns if self.free_names(v) <= scope][:6]
            # The empty value of what the function returns (``return ""`` for a text):
            # empty input, empty output.
            if empty is not None and f"return {empty}" not in actions:
                actions.append(f"return {empty}")
            if self.returns_own_kind(func) and "return self" not in actions:
                # A method that returns a changed copy of its object (``self.replace(...)``,
                # ``type(self)(...)``): with nothing to change, the object itself.
                actions.append("return self")
            if "return None" not in actions:
                actions.append("return None")
        else:
            actions.append("return")
        yield from self.insert_branches(start, indent, stmt.lineno, conds, actions, "guard",
                                        3 * _MAX_PER_SITE)
        # Conditions the list above leaves out, with a cap of their own (so the edits
        # above stay as they were): the loop's item and the attributes read on it
        # (``if not field.init: continue``), and ``*args``/``**kwargs`` (``if not
        # segments: return self``). Two fix shapes of the study split's guards.
        extra = [c for c in dict.fromkeys(self.item_conditions(stmt, func)
                                          + [f"not {a.arg}" for a in (func.args.vararg,
                                                                     func.args.kwarg) if a])
                 if c not in conds]
        yield from self.insert_branches(start, indent, stmt.lineno, extra, actions, "guard",
                                        _MAX_PER_SITE)
        yield from self.pair_guards(stmt, start, indent, func, [*conds, *extra], actions)

    def pair_guards(self, stmt: ast.stmt, start: int, indent: str,
                    func: ast.FunctionDef | ast.AsyncFunctionDef, conds: list[str],
                    actions: list[str]) -> Iterator[Edit]:
        """``if ra == rb: return False`` before ``stmt``: two names the function got from
        the same callee before it (``ra, rb = find(a), find(b)``) may be the same thing,
        the degenerate case of an operation on two of them (a union of one set, an edge to
        itself, a merge with itself). With a cap of their own; a function that returns
        ``True`` returns ``False`` there first (and the other way round)."""
        by_callee: dict[str, list[str]] = {}
        for node in ast.walk(func):
            if isinstance(node, ast.Assign) and node.lineno < stmt.lineno and \
                    len(node.targets) == 1:
                for name, value in _assigned_pairs(node.targets[0], node.value):
                    if isinstance(value, ast.Call):
                        by_callee.setdefault(self.src.segment(value.func), []).append(name)
        found = [f"{names[0]} == {names[1]}" for names in by_callee.values()
                 if len(names) >= 2 and names[0] != names[1]]
        found = [c for c in dict.fromkeys(found) if c not in conds]
        if not found:
            return
        flips = [f"return {not v!r}" for v in (True, False) if any(
            isinstance(n, ast.Return) and isinstance(n.value, ast.Constant)
            and n.value.value is v for n in ast.walk(func))]
        # Its own operator: a structural condition, not a test's input special-cased,
        # so its literal return is not the guard's overfitting pattern (``_risk``).
        yield from self.insert_branches(start, indent, stmt.lineno, found,
                                        list(dict.fromkeys([*flips, *actions])), "pair-guard",
                                        _MAX_PER_SITE)

    def returns_own_kind(self, func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """``func`` is a method that returns what a method of ``self`` returns, or a new
        object of its own class (``self.replace(...)``, ``type(self)(...)``, ``Cls(...)``)."""
        owner = self.parents.get(func)
        args = func.args.posonlyargs + func.args.args
        if not isinstance(owner, ast.ClassDef) or not args or args[0].arg != "self":
            return False
        for node in ast.walk(func):
            call = node.value if isinstance(node, ast.Return) else None
            if not isinstance(call, ast.Call):
                continue
            f = call.func
            if (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
                    and f.value.id == "self") or (isinstance(f, ast.Name) and f.id == owner.name) \
                    or (isinstance(f, ast.Call) and ast.unparse(f) == "type(self)"):
                return True
        return False

    def item_conditions(self, stmt: ast.stmt,
                        func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
        """``not x``, ``x is None`` and ``not x.<attr>`` (attributes the loop body reads,
        not calls) for the names ``x`` of the innermost ``for`` loop whose body holds
        ``stmt``."""
        loop = next((p for p in self._ancestors(stmt, func) if isinstance(p, ast.For)), None)
        if loop is None or not any(stmt is s or any(stmt is n for n in ast.walk(s))
                                   for s in loop.body):
            return []
        names = [n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)]
        conds: list[str] = []
        for name in names:
            conds += [f"not {name}", f"{name} is None"]
            conds += sorted({f"not {name}.{n.attr}" for s in loop.body for n in ast.walk(s)
                             if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                             and n.value.id == name and isinstance(n.ctx, ast.Load)
                             and not isinstance(self.parents.get(n), ast.Call)})
        return conds

    def insert_branches(self, start: int, indent: str, line: int, conds: Iterable[str],
                        actions: Sequence[str], op: str, limit: int) -> Iterator[Edit]:
        """``if <cond>: <action>`` inserted at ``start`` (the start of ``line``), for each
        condition and each action in that order, at most ``limit`` of them: the one loop
        of the guard operator and the raise-guard template, which differ only in their
        conditions, actions and caps."""
        count = 0
        for cond in conds:
            for action in actions:
                if count >= limit:
                    return
                text = f"{indent}if {cond}:\n{indent}    {action}\n"
                yield self.edit(start, start, text, line, op,
                                f"insert 'if {cond}: {action}' before line {line}")
                count += 1

    def _ancestors(self, node: ast.AST, stop: ast.AST | None) -> Iterator[ast.AST]:
        cur = self.parents.get(node)
        while cur is not None and cur is not stop:
            yield cur
            cur = self.parents.get(cur)


def _body_holding(parent: ast.AST | None, stmt: ast.stmt) -> list[ast.stmt] | None:
    if parent is None:
        return None
    for name in ("body", "orelse", "finalbody"):
        body = getattr(parent, name, None)
        if isinstance(body, list) and stmt in body:
            return body
    return None


_BUILTINS: Final[frozenset[str]] = frozenset(dir(builtins))
#: A string that reads as a regular expression: a character class escape, a group
#: extension, a bracket class, a dot quantified, or a quantifier after a format field.
_REGEX_LIKE: Final = re.compile(r"\\\\?[dDwWsS]|\(\?|\[\^?[^\]]+\]|\.[*+]|%s[*+]|\)[*+?]")
_QUANTIFIER_SWAPS: Final = {"+": "*", "*": "+"}


def _quantifiers(text: str, body: int) -> list[int]:
    """Offsets of the ``+``/``*`` quantifiers of a regex literal's source ``text``
    (from ``body``): not escaped, not inside a bracket class, not a lazy ``?`` target."""
    found: list[int] = []
    in_class = escaped = False
    for i in range(body, len(text) - 1):
        ch = text[i]
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        elif ch in _QUANTIFIER_SWAPS and not in_class and i > body:
            found.append(i)
    return found[:_MAX_PER_SITE]
_COMPREHENSIONS: Final = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

# Imported last: the templates module refers back to ``Mutator`` for its types only.
from pytest_agent.engines.offline._templates import template_edits  # noqa: E402
