"""Fix templates of the APR literature, each a small named operator (issue #12).

TBar's fix patterns (mutate operands, insert a null checker, wrap in a call,
mutate a return), PraPR's argument/field/method replacement, ssFix's reuse of
code of the same function, Nopol-style condition synthesis from typed names in
scope, ARJA's statement insertion. Every template writes only names bound where it
edits, typed by ``_scope`` (a number is never sliced, a collection never offset),
and yields :class:`Edit` splices, like the other operators.

=====================  =======================================================
template               example
=====================  =======================================================
offset-variable        ``t[r - 1, c]`` -> ``t[r - 1, c - w]``;
                       ``f(rest, n)`` -> ``f(rest, n - m)``
slice-sequence         ``for v in items`` -> ``for v in items[n:]``;
                       ``f(a[1:], b)`` -> ``f(a[1:], b[1:])``
wrap-call              ``s + v`` -> ``max(0, s + v)``; ``names`` -> ``sorted(names)``
return-expression      ``return True`` -> ``return balance == 0``; ``return []`` -> ``return [x]``
loop-condition         ``while True`` -> ``while pending``
none-guard             ``node.next is None`` -> ``node is None or node.next is None``
insert-statement       ``prev = cur`` / ``seen.add(v)`` / ``out.append(v)`` / ``node.count += 1``
                       inserted in a loop
reuse-expression       ``lookup(x) + w`` -> ``dist + w`` (a name bound earlier in the function)
swap-concat            ``acc + item`` -> ``item + acc``
synthesize-condition   ``if c`` -> ``if c and n > 0`` / ``if c or not pending``
use-parameter          ``" ".join(parts)`` -> ``sep.join(parts)`` (a parameter never read)
own-class              ``Version(...)`` -> ``type(self)(...)`` in a method of ``Version``
raise-guard            ``if n < 0: raise ValueError`` where a test expected the error
truth-test             ``if x:`` -> ``if x is not None:``; ``if d.get(k):`` -> ``if k in d:``
ceil-division          ``n // size`` -> ``(n + size - 1) // size``
split-limit            ``k, v = s.split("=")`` -> ``k, v = s.split("=", 1)``
default-param          ``tags=[]`` -> ``tags=None`` + ``if tags is None: tags = []``
or-default             ``return result`` -> ``return result or [0]``;
                       ``v = s.strip()`` -> ``v = s.strip() or None``
=====================  =======================================================
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable
from collections.abc import Iterator
from typing import TYPE_CHECKING
from typing import Final

from pytest_agent.engines.offline._scope import FunctionScope
from pytest_agent.engines.offline._source import Edit

if TYPE_CHECKING:
    from pytest_agent.engines.offline._operators import Mutator

__all__ = ["TEMPLATES", "template_edits"]

_PER_SITE: Final = 8
_BUILTIN_NAMES: Final = frozenset(dir(builtins))
_NAME_LIKE = (ast.Name, ast.Attribute)
_FUNCTION_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _free(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _paren(m: Mutator, node: ast.expr) -> str:
    text = m.src.segment(node)
    low = (ast.BoolOp, ast.IfExp, ast.Lambda, ast.Compare, ast.NamedExpr)
    return f"({text})" if isinstance(node, low) else text


def _one_line(m: Mutator, *nodes: ast.AST) -> bool:
    return all("\n" not in m.src.segment(n) for n in nodes)


def _is_number_expr(fs: FunctionScope, node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id in fs.numbers
    return isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)) and \
        _is_number_expr(fs, node.left) | _is_number_expr(fs, node.right)


def _is_load(node: ast.AST) -> bool:
    return isinstance(getattr(node, "ctx", ast.Load()), ast.Load)


# -- offset-variable ---------------------------------------------------------------


def _offset(m: Mutator, fs: FunctionScope, expr: ast.expr) -> Iterator[Edit]:
    if not _is_number_expr(fs, expr) or not _one_line(m, expr):
        return
    text = m.src.segment(expr)
    others = sorted(fs.bound_before(expr.lineno) & fs.numbers - _free(expr))
    for other in others[:_PER_SITE // 2]:
        yield m.replace(expr, f"{text} - {other}", "offset-variable")
        yield m.replace(expr, f"{text} + {other}", "offset-variable")


def offset_variable(m: Mutator, fs: FunctionScope, node: ast.AST) -> Iterator[Edit]:
    """An index or argument off by a *variable* of the function (PraPR, TBar "mutate
    operand"); elements of a tuple index also get the +/- 1 the other indices get."""
    if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice):
        elements = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for element in elements:
            yield from _offset(m, fs, element)
            if isinstance(node.slice, ast.Tuple) and not isinstance(element, ast.Constant):
                yield from m.plus_minus_one(element)
    elif isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name)
                                              and node.func.id == "range"):
        for arg in node.args:
            yield from _offset(m, fs, arg)


# -- slice-sequence -------------------------------------------------------------


def slice_sequence(m: Mutator, fs: FunctionScope, node: ast.AST) -> Iterator[Edit]:
    """Iterate over part of a sequence (``items`` -> ``items[n:]``), slice an argument
    like its sibling is sliced (``f(a[1:], b)`` -> ``f(a[1:], b[1:])``), or leave an end
    out of what a builtin reads whole (``hash(t)`` -> ``hash(t[:-1])``)."""
    if isinstance(node, ast.For) and isinstance(node.iter, _NAME_LIKE) and \
            _one_line(m, node.iter):
        text = m.src.segment(node.iter)
        bounds = ["1", *sorted(fs.bound_before(node.lineno) & fs.numbers)[:3]]
        for bound in bounds:
            yield m.replace(node.iter, f"{text}[{bound}:]", "slice-sequence")
        for bound in ("-1", *bounds[1:]):
            yield m.replace(node.iter, f"{text}[:{bound}]", "slice-sequence")
    elif isinstance(node, ast.Call):
        yield from _slice_argument(m, node)
        sliced = [a for a in node.args if isinstance(a, ast.Subscript)
                  and isinstance(a.slice, ast.Slice) and _one_line(m, a)]
        for model in sliced[:2]:
            how = m.src.text[m.src.span(model.value)[1]:m.src.span(model)[1]]
            for arg in node.args:
                if isinstance(arg, _NAME_LIKE) and _one_line(m, arg):
                    yield m.replace(arg, f"{m.src.segment(arg)}{how}", "slice-sequence")


#: Builtins that take a whole sequence: their argument may need to leave an end out.
_SEQUENCE_CALLS: Final = frozenset({
    "hash", "len", "sorted", "list", "tuple", "set", "sum", "min", "max", "any", "all",
    "zip", "enumerate", "reversed", "join", "frozenset"})


def _slice_argument(m: Mutator, node: ast.Call) -> Iterator[Edit]:
    """``hash(t)`` -> ``hash(t[:-1])`` / ``hash(t[1:])`` for a builtin over a sequence."""
    name = node.func.id if isinstance(node.func, ast.Name) else (
        node.func.attr if isinstance(node.func, ast.Attribute) else "")
    if name not in _SEQUENCE_CALLS:
        return
    for arg in node.args:
        if isinstance(arg, (ast.Name, ast.Attribute, ast.Call)) and _one_line(m, arg):
            text = m.src.segment(arg)
            for how in ("[:-1]", "[1:]"):
                yield m.replace(arg, f"{text}{how}", "slice-sequence")


# -- wrap-call -----------------------------------------------------------------------

_NUMBER_WRAPS: Final = ("max(0, {})", "abs({})", "int({})", "round({})", "min(0, {})")
_COLLECTION_WRAPS: Final = ("sorted({})", "list({})", "tuple({})", "set({})", "len({})")


def _wrap_site(node: ast.AST, parent: ast.AST | None,
               grandparent: ast.AST | None = None) -> bool:
    if isinstance(parent, (ast.Assign, ast.Return, ast.AugAssign, ast.FormattedValue)):
        return getattr(parent, "value", None) is node
    if isinstance(parent, ast.IfExp):
        return node is not parent.test  # a branch's value is the value
    if _printf(parent) and parent.right is node:  # type: ignore[union-attr]
        return True  # "%.2f" % value: formatted, like an f-string's field
    if isinstance(parent, ast.Tuple) and _printf(grandparent):
        return True  # "%s %d" % (name, count)
    return isinstance(parent, ast.Call) and node in parent.args


def _printf(node: ast.AST | None) -> bool:
    """``"<format>" % values``: printf-style formatting of a string literal."""
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and \
        isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)


def _assigned_collection(m: Mutator, fs: FunctionScope, node: ast.AST) -> bool:
    """``funcs = funcs[0]`` where the function uses ``funcs`` as a collection (iterates
    or measures it): the value may need materializing (``tuple(funcs[0])``: an iterator
    is consumed once)."""
    parent = m.parents.get(node)
    return isinstance(parent, ast.Assign) and parent.value is node and \
        isinstance(node, (ast.Name, ast.Subscript, ast.Attribute, ast.Call)) and \
        any(isinstance(t, ast.Name) and t.id in fs.collections for t in parent.targets)


#: Conversions to the type a failing test expected, or that an operation needed.
_CONVERSIONS: Final = ("str", "bool", "int", "float", "tuple", "list")
_CONVERTIBLE = (ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.BinOp, ast.IfExp)


def _conversions(m: Mutator, node: ast.expr) -> list[str]:
    """``str(.)``, ``bool(.)``... when the failing tests point at a value of the wrong
    type (a ``TypeError`` about types, an assertion whose sides differ in type): the
    expected type's conversion first. None without that evidence (the space stays as
    small as before for every other failure)."""
    symptoms = m.evidence.symptoms
    if not ({"types", "type-mismatch"} & symptoms) or not isinstance(node, _CONVERTIBLE):
        return []
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id in _CONVERSIONS:
        return []  # already converted (unwrap-call removes it)
    first = sorted(m.evidence.expected_types & set(_CONVERSIONS))
    return [f"{name}({{}})" for name in dict.fromkeys([*first, *_CONVERSIONS])]


def wrap_call(m: Mutator, fs: FunctionScope, node: ast.AST) -> Iterator[Edit]:
    """Wrap an assigned, returned or passed value in a call that fits its type (TBar
    "wrap with method"): numbers in ``max(0, .)``, ``abs``, ``int``, ``round``;
    collections in ``sorted``, ``list``, ``set``, ``len``; either in a one-parameter
    function of the module."""
    parent = m.parents.get(node)
    grandparent = m.parents.get(parent) if parent is not None else None
    if not isinstance(node, ast.expr) or not _wrap_site(node, parent, grandparent) or \
            not _one_line(m, node):
        return
    number = (isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Mod)) or \
        (isinstance(node, ast.Name) and node.id in fs.numbers)
    collection = isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)) or \
        (isinstance(node, _NAME_LIKE) and m.src.segment(node).split(".")[-1] in fs.collections) \
        or _assigned_collection(m, fs, node)
    wraps: list[str] = _conversions(m, node)
    if number:
        wraps += _NUMBER_WRAPS
    if collection:
        wraps += _COLLECTION_WRAPS
    if number or collection:
        func = m.enclosing_function(node)
        wraps += [f"{name}({{}})" for name in m.unary_functions
                  if func is None or name != func.name][:3]
    text = m.src.segment(node)
    for wrap in dict.fromkeys(wraps):
        yield m.replace(node, wrap.format(text), "wrap-call")


# -- return-expression ---------------------------------------------------------------


def _bool_returns(m: Mutator, fs: FunctionScope, node: ast.Return) -> list[str]:
    before = fs.bound_before(node.lineno)
    exprs: list[str] = []
    for name in sorted(before & fs.numbers):
        exprs += [f"{name} == 0", f"{name} > 0"]
    for name in sorted(before & fs.collections):
        exprs += [f"not {name}", f"bool({name})"]
    scope = m.scope_names(node) | m.module_names
    exprs += [m.src.segment(c) for c in m.conditions if _free(c) <= scope][:4]
    return exprs


def _value_returns(fs: FunctionScope, node: ast.Return, value: object) -> list[str]:
    before = sorted(fs.bound_before(node.lineno))
    if isinstance(value, ast.List):
        return [*[f"[{n}]" for n in before],
                *[f"sorted({n})" for n in before if n in fs.collections],
                *[n for n in before if n in fs.collections]]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [n for n in before if n in fs.numbers]
    return before


def return_expression(m: Mutator, fs: FunctionScope, node: ast.AST) -> Iterator[Edit]:
    """A constant return replaced by an expression over names in scope (TBar "mutate
    return statement", Nopol's synthesis of the returned condition)."""
    if not isinstance(node, ast.Return) or node.value is None:
        return
    value = node.value
    if isinstance(value, ast.Constant) and isinstance(value.value, bool):
        options = _bool_returns(m, fs, node)
    elif isinstance(value, ast.List) and not value.elts:
        options = _value_returns(fs, node, value)
    elif isinstance(value, ast.Constant):
        options = _value_returns(fs, node, value.value)
    else:
        return
    for option in options[:2 * _PER_SITE]:
        yield m.replace(value, option, "return-expression", f"return {option}")


# -- loop-condition --------------------------------------------------------------------


def loop_condition(m: Mutator, fs: FunctionScope, node: ast.AST) -> Iterator[Edit]:
    """``while True`` (or a constant) -> ``while <collection>`` for a collection bound
    before the loop (or ``not`` it): the loop runs while there is work."""
    if not (isinstance(node, ast.While) and isinstance(node.test, ast.Constant)):
        return
    before = fs.bound_before(node.lineno)
    names = sorted(before & fs.collections) + sorted(before - fs.collections - fs.numbers)
    for name in names[:_PER_SITE]:
        yield m.replace(node.test, name, "loop-condition", f"while {name}")
    for name in sorted(before & fs.collections)[:2]:
        yield m.replace(node.test, f"not {name}", "loop-condition", f"while not {name}")


# -- none-guard --------------------------------------------------------------------------


def _condition_sites(m: Mutator, node: ast.AST) -> ast.expr | None:
    if isinstance(node, (ast.If, ast.While, ast.IfExp)):
        return node.test
    if isinstance(node, ast.Return) and isinstance(node.value, ast.Compare):
        return node.value
    return None


def none_guard(m: Mutator, fs: FunctionScope, node: ast.AST) -> Iterator[Edit]:
    """``x.a ...`` -> ``x is None or x.a ...`` / ``x is not None and x.a ...`` for the
    objects whose attributes a condition reads (TBar "insert null pointer checker")."""
    test = _condition_sites(m, node)
    if test is None or not _one_line(m, test):
        return
    bases: dict[str, None] = {}
    for sub in ast.walk(test):
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, _NAME_LIKE):
            text = m.src.segment(sub.value)
            root = text.split(".")[0]
            if root in fs.bound or (root == "self" and "." in text):
                bases.setdefault(text, None)
    inner = _paren(m, test) if isinstance(test, (ast.BoolOp, ast.IfExp)) else \
        m.src.segment(test)
    for base in list(bases)[:3]:
        yield m.replace(test, f"{base} is None or {inner}", "none-guard",
                        f"{base} is None or ...")
        yield m.replace(test, f"{base} is not None and {inner}", "none-guard",
                        f"{base} is not None and ...")


# -- insert-statement ----------------------------------------------------------------------


def _changes_state(func: ast.AST) -> bool:
    """``func`` assigns an attribute or an item (``x.a = ...``, ``x.a += ...``,
    ``d[k] = ...``): a command, not a query."""
    return any(isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and any(
        isinstance(t, (ast.Attribute, ast.Subscript))
        for t in (n.targets if isinstance(n, ast.Assign) else [n.target]))
        for n in ast.walk(func))


def _loop_statements(m: Mutator, fs: FunctionScope, loop: ast.For) -> list[str]:
    """Statements a loop body commonly misses, typed by the names around it."""
    target = m.src.segment(loop.target)
    if not isinstance(loop.target, ast.Name):
        return []
    loop_end = loop.end_lineno or loop.lineno
    inside = {n.id for n in ast.walk(loop) if isinstance(n, ast.Name)
              and isinstance(n.ctx, ast.Load)}
    out: list[str] = []
    # The values of one iteration: the item, and the names first bound in the body.
    items = [target, *sorted(n for n, at in fs.first_bound.items()
                             if loop.lineno < at <= loop_end and n not in fs.collections)]
    # ``seen.add(v)`` / ``out.append(v)``: a collection the function fills.
    for name in sorted(fs.bound_before(loop.lineno) & fs.collections - {target}):
        out.extend(call for item in items[:3] for call in m.fill_calls(name, item))
    # ``prev = cur``: state set to a constant before the loop and read in it.
    for name in sorted(fs.bound_before(loop.lineno) & inside & fs.constant_init - {target}):
        out.append(f"{name} = {target}")
    # ``node.count += 1``: a counter of the objects the loop walks that nothing counts
    # up (set to 0, read, never incremented); its objects are the names the loop binds.
    # Only in a function that changes state already: a lookup gets no side effect.
    func = m.enclosing_function(loop)
    walked = [target, *sorted({n.id for n in ast.walk(loop) if isinstance(n, ast.Name)
                               and isinstance(n.ctx, ast.Store)} - {target})]
    for name in walked[:3] if func is not None and _changes_state(func) else ():
        out.extend(f"{name}.{attr} += 1"
                   for attr in sorted(m.counters & m.attributes.get(name, set())))
    # A call statement of the function with its argument replaced by the loop item.
    for text in m.call_statements(m.enclosing_function(loop), loop.lineno, loop_end):
        out.extend(text.format(item) for item in items[:3])
    return list(dict.fromkeys(out))


def insert_statement(m: Mutator, fs: FunctionScope, node: ast.AST) -> Iterator[Edit]:
    """Insert a statement missing from a loop body, modelled on its neighbours (ARJA /
    ssFix statement insertion): before each statement of the body, and after its last."""
    if not isinstance(node, ast.stmt):
        return
    loop = m.parents.get(node)
    if not isinstance(loop, ast.For) or node not in loop.body:
        return
    start = m.src.line_start(node.lineno)
    if m.src.text[start:m.src.offset(node.lineno, node.col_offset)].strip():
        return
    indent = m.src.indent_of(node.lineno)
    here = [start]
    if node is loop.body[-1]:
        end_line = node.end_lineno or node.lineno
        here.append(m.src.line_start(end_line + 1) if end_line < len(m.src.lines)
                    else len(m.src.text))
    for text in _loop_statements(m, fs, loop)[:2 * _PER_SITE]:
        for at in here:
            where = "before" if at == start else "after"
            yield m.edit(at, at, f"{indent}{text}\n", node.lineno, "insert-statement",
                         f"insert '{text}' {where} line {node.lineno}")


# -- reuse-expression ----------------------------------------------------------------------


def reuse_expression(m: Mutator, fs: FunctionScope, node: ast.AST) -> Iterator[Edit]:
    """A call or subscript replaced by a name the function bound before it (ssFix's
    reuse of the same function's code: ``lookup(x) + w`` -> ``dist + w``)."""
    if not isinstance(node, (ast.Call, ast.Subscript)) or not _is_load(node) or \
            not _one_line(m, node):
        return
    parent = m.parents.get(node)
    if isinstance(parent, ast.Expr) or (isinstance(parent, ast.Call) and parent.func is node):
        return
    names = fs.bound_before(node.lineno) - _free(node)
    if isinstance(parent, (ast.BinOp, ast.AugAssign)) or (
            isinstance(parent, ast.Compare) and any(isinstance(o, (ast.Lt, ast.Gt, ast.LtE,
                                                                   ast.GtE)) for o in parent.ops)):
        names -= fs.collections - fs.numbers  # an operand of arithmetic or ordering
    for name in sorted(names)[:_PER_SITE]:
        yield m.replace(node, name, "reuse-expression")


# -- swap-concat, synthesize-condition -------------------------------------------------------


def swap_concat(m: Mutator, fs: FunctionScope, node: ast.AST) -> Iterator[Edit]:
    """``acc + item`` -> ``item + acc``: concatenation of strings, lists, tuples is not
    commutative (numbers are: those candidates are cheap and fail fast)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and \
            not (_is_number_expr(fs, node.left) and _is_number_expr(fs, node.right)):
        yield from m.swap(node.left, node.right, "swap-concat")


def _atoms(fs: FunctionScope, line: int) -> list[str]:
    before = fs.bound_before(line)
    atoms: list[str] = []
    for name in sorted(before & fs.collections):
        atoms += [name, f"not {name}"]
    for name in sorted(before & fs.numbers):
        atoms += [f"{name} > 0", f"{name} == 0"]
    numbers = sorted(before & fs.numbers)
    atoms += [f"{a} < {b}" for a in numbers for b in numbers if a != b]
    return atoms


def synthesize_condition(m: Mutator, fs: FunctionScope, node: ast.AST) -> Iterator[Edit]:
    """Nopol-style condition synthesis: ``c`` -> ``c and a`` / ``c or a`` where ``a``
    is built from the typed names in scope (``n > 0``, ``not pending``, ``i < j``)."""
    if not isinstance(node, (ast.If, ast.While)) or not _one_line(m, node.test):
        return
    text = _paren(m, node.test) if isinstance(node.test, ast.BoolOp) else \
        m.src.segment(node.test)
    own = m.src.segment(node.test)
    count = 0
    for atom in _atoms(fs, node.lineno):
        if atom in own:
            continue
        yield m.replace(node.test, f"{text} and {atom}", "synthesize-condition", f"and {atom}")
        yield m.replace(node.test, f"{text} or {atom}", "synthesize-condition", f"or {atom}")
        count += 1
        if count >= _PER_SITE:
            return


def use_parameter(m: Mutator, fs: FunctionScope, node: ast.AST) -> Iterator[Edit]:
    """A constant replaced by a parameter the function never reads (PraPR's "replace a
    literal by a variable"): ``" ".join(parts)`` -> ``sep.join(parts)``."""
    if not fs.unused or not isinstance(node, ast.Constant) or isinstance(node.value, bool) \
            or isinstance(m.parents.get(node), (ast.Expr, ast.JoinedStr)):
        return
    for name in sorted(fs.unused)[:3]:
        yield m.replace(node, name, "use-parameter")


def own_class(m: Mutator, fs: FunctionScope, node: ast.AST) -> Iterator[Edit]:
    """In a method, the class's own name replaced by the instance's class (PraPR's
    "replace a type"): ``Version(...)`` -> ``type(self)(...)`` / ``cls(...)``, so that
    a subclass gets instances (and comparisons) of its own type."""
    if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)):
        return
    func = m.enclosing_function(node)
    cls_node = m.parents.get(func) if func is not None else None
    if func is None or not isinstance(cls_node, ast.ClassDef) or node.id != cls_node.name:
        return
    first = func.args.posonlyargs + func.args.args
    receiver = first[0].arg if first else ""
    decorators = {d.id for d in func.decorator_list if isinstance(d, ast.Name)}
    if receiver == "cls" or "classmethod" in decorators:
        yield m.replace(node, receiver or "cls", "own-class")
    elif receiver == "self":
        yield m.replace(node, "type(self)", "own-class")


# -- raise-guard -----------------------------------------------------------------------------


def _raise_conditions(m: Mutator, fs: FunctionScope, stmt: ast.stmt) -> list[str]:
    """Conditions over the names bound before ``stmt``: bad values of parameters
    (``n < 0``, ``not items``, ``x is None``) and the module's conditions in scope."""
    before = fs.bound_before(stmt.lineno)
    conds: list[str] = []
    for name in sorted(before & fs.numbers):
        conds += [f"{name} < 0", f"{name} == 0"]
    for name in sorted(before & fs.collections):
        conds.append(f"not {name}")
    for name in sorted(before - fs.numbers - fs.collections):
        conds.append(f"{name} is None")
    scope = before | m.module_names | _BUILTIN_NAMES
    conds += [m.src.segment(c) for c in m.conditions if _free(c) <= scope]
    return list(dict.fromkeys(conds))


def raise_guard(m: Mutator, fs: FunctionScope, node: ast.AST) -> Iterator[Edit]:
    """``if <bad input>: raise <Error>`` before a statement, where a failing test expected
    ``<Error>`` and nothing was raised (``pytest.raises``: "DID NOT RAISE"): the missing
    validation of the repair literature's "missing precondition check" (TBar's
    "insert a range checker", Nopol's precondition synthesis). Only with that evidence."""
    if not m.evidence.not_raised or not isinstance(node, ast.stmt) or \
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return
    func = m.enclosing_function(node)
    if func is None or node not in func.body:
        return  # at the function's top level: a precondition, not a nested branch
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return  # a docstring
    start = m.src.line_start(node.lineno)
    if m.src.text[start:m.src.offset(node.lineno, node.col_offset)].strip():
        return
    yield from m.insert_branches(start, m.src.indent_of(node.lineno), node.lineno,
                                 _raise_conditions(m, fs, node),
                                 [f"raise {error}" for error in m.evidence.not_raised],
                                 "raise-guard", 2 * _PER_SITE)


# -- catch -----------------------------------------------------------------------------

#: Statements a ``try`` may wrap: one line, no block of their own.
_CATCHABLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return)


def catch(m: Mutator, fs: FunctionScope, node: ast.AST) -> Iterator[Edit]:
    """A one-line statement that calls something wrapped in ``try: ... except <Error>:
    return <empty>`` (``continue`` in a loop; a bare ``return`` in a generator), where a
    failing test saw ``<Error>`` raised (an empty iterator's ``StopIteration`` -- also as
    PEP 479's ``RuntimeError: generator raised StopIteration`` -- a missing key, a bad
    value): the empty-input exit of the repair literature's "missing exception handler"
    (PAR's and TBar's "add a try-catch"). Only with that evidence."""
    if not m.evidence.raised or not isinstance(node, _CATCHABLE) or \
            not any(isinstance(n, ast.Call) for n in ast.walk(node)):
        return
    func = m.enclosing_function(node)
    if func is None or (node.end_lineno or node.lineno) != node.lineno:
        return
    start = m.src.line_start(node.lineno)
    if m.src.text[start:m.src.offset(node.lineno, node.col_offset)].strip():
        return
    end = m.src.span(node)[1]
    if m.src.text[end:].split("\n", 1)[0].strip():
        return  # something follows on the line (``a = 1; b = 2``)
    indent = m.src.indent_of(node.lineno)
    body = m.src.text[start:end].strip()
    for error in m.evidence.raised[:2]:
        for action in _catch_actions(m, func, node)[:2]:
            text = (f"{indent}try:\n{indent}    {body}\n{indent}except {error}:\n"
                    f"{indent}    {action}")
            yield m.edit(start, end, text, node.lineno, "catch",
                         f"wrap line {node.lineno} in try/except {error}: {action}")


def _catch_actions(m: Mutator, func: ast.FunctionDef | ast.AsyncFunctionDef,
                   node: ast.stmt) -> list[str]:
    in_loop = False
    cur = m.parents.get(node)
    while cur is not None and cur is not func:
        in_loop = in_loop or isinstance(cur, (ast.For, ast.While))
        cur = m.parents.get(cur)
    actions = ["continue"] if in_loop else []
    generator, returns_value = m.own_returns(func)
    if generator or not returns_value:
        return [*actions, "return"]
    empty = m.function_facts(func)[2]
    return [*actions, *([f"return {empty}"] if empty else []), "return None"]


# -- split-limit -----------------------------------------------------------------------


def _unpacked_into(m: Mutator, call: ast.Call) -> int:
    """How many names the value of ``call`` is unpacked into (0: not unpacked)."""
    parent = m.parents.get(call)
    target: ast.AST | None = None
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
        target = parent.targets[0]
    elif isinstance(parent, ast.For) and parent.iter is call:
        return 0  # each item of a split is one string
    if isinstance(target, (ast.Tuple, ast.List)) and not any(
            isinstance(e, ast.Starred) for e in target.elts):
        return len(target.elts)
    return 0


def split_limit(m: Mutator, fs: FunctionScope, node: ast.AST) -> Iterator[Edit]:
    """A split unpacked into n names splits at most n - 1 times: ``k, v =
    s.split("=")`` -> ``s.split("=", 1)`` (a value that holds the separator), or from the
    right: ``s.rsplit("=", 1)``."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("split", "rsplit") and len(node.args) == 1
            and not node.keywords and _one_line(m, node)):
        return
    names = _unpacked_into(m, node)
    if names < 2:
        return
    owner, sep = m.src.segment(node.func.value), m.src.segment(node.args[0])
    for method in ("split", "rsplit"):
        text = f"{owner}.{method}({sep}, {names - 1})"
        yield m.replace(node, text, "split-limit", text)


# -- default-param ---------------------------------------------------------------------

#: Displays (and calls) of a mutable default, shared by every call of the function.
_MUTABLE_DEFAULTS = (ast.List, ast.Dict, ast.Set)


def _param_defaults(func: ast.FunctionDef | ast.AsyncFunctionDef
                    ) -> list[tuple[ast.arg, ast.expr]]:
    args = func.args
    positional = [*args.posonlyargs, *args.args]
    pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults,
                     strict=True))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
              if d is not None]
    return pairs


def _empty_for(fs: FunctionScope, m: Mutator, name: str) -> list[str]:
    """Empty values a parameter may stand for, by what the module calls on it."""
    called = m.attributes.get(name, set())
    found = ["[]" if called & {"append", "extend", "insert", "pop"} else "",
             "set()" if "add" in called else "",
             "{}" if called & {"items", "keys", "values", "get", "setdefault"} else ""]
    return [v for v in found if v] or ["()", "[]"]


def _body_insert_at(m: Mutator, func: ast.FunctionDef | ast.AsyncFunctionDef) -> int | None:
    """Where a statement goes first in ``func``'s body: after its docstring."""
    body = func.body
    first = body[1] if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(
        getattr(body[0], "value", None), ast.Constant) and isinstance(
        body[0].value.value, str) else body[0]  # type: ignore[attr-defined]
    if first is body[0] and first.lineno == func.lineno:
        return None  # a one-line function: nowhere to put a statement
    return m.src.line_start(first.lineno)


def default_param(m: Mutator, fs: FunctionScope, node: ast.AST) -> Iterator[Edit]:
    """A parameter's default handled where the body starts (flake8-bugbear B006):
    ``tags=[]`` -> ``tags=None`` and ``if tags is None: tags = []`` (a mutable default is
    shared by every call); ``holidays=None`` read as a collection without a check ->
    ``if holidays is None: holidays = ()``. One splice from the default to the body."""
    func = m.parents.get(node)
    if not isinstance(func, _FUNCTION_DEFS) or node is not func.body[0]:
        return  # once per function, at its first statement (where its scope is known)
    at = _body_insert_at(m, func)
    if at is None:
        return
    indent = m.src.indent_of(m.src.text.count("\n", 0, at) + 1)
    checked = {m.src.segment(c) for c in ast.walk(func) if isinstance(c, ast.Compare)}
    read = {n.id for n in ast.walk(func) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)}
    for arg, default in _param_defaults(func):
        name = arg.arg
        if f"{name} is None" in checked or f"{name} is not None" in checked:
            continue
        if isinstance(default, _MUTABLE_DEFAULTS):
            values = [m.src.segment(default)]
            start, end = m.src.span(default)
            head = "None"
        elif isinstance(default, ast.Constant) and default.value is None and \
                name in read:
            values = _empty_for(fs, m, name)
            start, end = m.src.span(default)
            head = "None"
        else:
            continue
        between = m.src.text[end:at]
        for value in values[:2]:
            text = f"{head}{between}{indent}if {name} is None:\n{indent}    {name} = {value}\n"
            yield m.edit(start, at, text, func.body[0].lineno, "default-param",
                         f"{name}={head}; if {name} is None: {name} = {value}")


# -- ceil-division ---------------------------------------------------------------------


def ceil_division(m: Mutator, fs: FunctionScope, node: ast.AST) -> Iterator[Edit]:
    """Floor division where the count of *started* groups is meant (pages, chunks,
    blocks): ``n // size`` -> ``(n + size - 1) // size`` and ``-(-n // size)``."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.FloorDiv)) or \
            not _one_line(m, node) or (isinstance(node.right, ast.Constant) and \
            node.right.value in (0, 1)):
        return
    left, right = _paren(m, node.left), m.src.segment(node.right)
    if isinstance(node.right, (ast.BinOp, ast.BoolOp, ast.IfExp, ast.Compare)):
        right = f"({right})"
    if isinstance(node.left, ast.BinOp):
        left = f"({m.src.segment(node.left)})"
    for text in (f"({left} + {right} - 1) // {right}", f"-(-{left} // {right})"):
        yield m.replace(node, text, "ceil-division", text)


# -- truth-test ------------------------------------------------------------------------


def _truth_operands(test: ast.expr) -> Iterator[ast.expr]:
    """The operands a condition tests for truth: itself, or those of its ``and``/``or``."""
    if isinstance(test, ast.BoolOp):
        for value in test.values:
            yield from _truth_operands(value)
    else:
        yield test


def _tested_value(operand: ast.expr) -> tuple[ast.expr, bool] | None:
    """The value a truth test reads and whether it is negated (``not x``), when it is a
    value that may be falsy without being ``None`` (not a comparison or a truth call)."""
    negated = isinstance(operand, ast.UnaryOp) and isinstance(operand.op, ast.Not)
    inner = operand.operand if isinstance(operand, ast.UnaryOp) and negated else operand
    if not isinstance(inner, _DEFAULTABLE) or (
            isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name)
            and inner.func.id in _TRUTH_CALLS):
        return None
    return inner, negated


def _membership(m: Mutator, value: ast.expr, negated: bool) -> str | None:
    """``d.get(k)`` tested for truth -> ``k in d`` (``k not in d`` under ``not``)."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and \
            value.func.attr == "get" and len(value.args) == 1 and not value.keywords:
        key, owner = m.src.segment(value.args[0]), m.src.segment(value.func.value)
        return f"{key} {'not in' if negated else 'in'} {owner}"
    return None


def truth_test(m: Mutator, fs: FunctionScope, node: ast.AST) -> Iterator[Edit]:
    """A truth test that should ask for presence: ``if x:`` -> ``if x is not None:``,
    ``if not x:`` -> ``if x is None:`` (a falsy value -- 0, "", an empty container -- is
    not a missing one), ``if d.get(k):`` -> ``if k in d:`` (a key stored with a falsy
    value is still there). Operands of a condition's ``and``/``or`` too."""
    if not isinstance(node, (ast.If, ast.While, ast.IfExp)):
        return
    for operand in _truth_operands(node.test):
        found = _tested_value(operand)
        if found is None or not _one_line(m, operand):
            continue
        value, negated = found
        text = m.src.segment(value)
        check = f"{text} is None" if negated else f"{text} is not None"
        yield m.replace(operand, check, "truth-test", check)
        member = _membership(m, value, negated)
        if member is not None:
            yield m.replace(operand, member, "truth-test", member)


# -- or-default ------------------------------------------------------------------------

#: Values that ``or <default>`` may follow: a value that can be falsy (not a condition,
#: a constant or a display).
_DEFAULTABLE = (ast.Name, ast.Attribute, ast.Call, ast.Subscript)
#: Calls whose value is a truth value or a number (``isinstance(x, T) or None``,
#: ``len(x) or [0]`` make no sense).
_NOT_DEFAULTED: Final = frozenset({"bool", "isinstance", "issubclass", "callable", "hasattr",
                                   "all", "any", "len", "sum", "min", "max", "abs", "int",
                                   "float", "round", "divmod", "hash", "id", "ord"})


#: Calls whose value is already a truth value.
_TRUTH_CALLS: Final = frozenset({"bool", "isinstance", "issubclass", "callable", "hasattr",
                                 "all", "any"})


def _defaultable(fs: FunctionScope, value: ast.expr) -> bool:
    if isinstance(value, ast.Name):
        return value.id not in fs.numbers
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return value.func.id not in _NOT_DEFAULTED
    return isinstance(value, _DEFAULTABLE)


def _defaults(m: Mutator, node: ast.stmt, text: str) -> list[str]:
    func = m.enclosing_function(node)
    empty = m.function_facts(func)[2] if func is not None else None
    found = ["None", *([empty] if empty else []), *m.displays[:3]]
    return [d for d in dict.fromkeys(found) if d != text][:_PER_SITE // 2]


def or_default(m: Mutator, fs: FunctionScope, node: ast.AST) -> Iterator[Edit]:
    """A value that may be falsy (empty or ``None``; not a number) replaced by a default then:
    ``result`` -> ``result or [0]``, ``s.strip()`` -> ``s.strip() or None``,
    ``d.get(k)`` -> ``d.get(k) or []``; the default is ``None``, the empty value of what
    the function returns, or a display of constants the module writes (``[0]``).
    Returned or assigned values only."""
    if isinstance(node, ast.Return) or (isinstance(node, ast.Assign)
                                        and len(node.targets) == 1):
        value = node.value
    else:
        return
    if value is None or not _defaultable(fs, value) or not _one_line(m, value):
        return
    text = m.src.segment(value)
    for default in _defaults(m, node, text):
        yield m.replace(value, f"{text} or {default}", "or-default", f"{text} or {default}")


Template = Callable[["Mutator", FunctionScope, ast.AST], Iterator[Edit]]

#: Every template, by name; each runs on every node of a searched function.
TEMPLATES: Final[dict[str, Template]] = {
    "offset-variable": offset_variable,
    "slice-sequence": slice_sequence,
    "wrap-call": wrap_call,
    "return-expression": return_expression,
    "loop-condition": loop_condition,
    "none-guard": none_guard,
    "insert-statement": insert_statement,
    "reuse-expression": reuse_expression,
    "swap-concat": swap_concat,
    "synthesize-condition": synthesize_condition,
    "use-parameter": use_parameter,
    "own-class": own_class,
    "raise-guard": raise_guard,
    "catch": catch,
    "or-default": or_default,
    "truth-test": truth_test,
    "ceil-division": ceil_division,
    "split-limit": split_limit,
    "default-param": default_param,
}


def template_edits(m: Mutator, node: ast.AST) -> Iterator[Edit]:
    """The edits of every template at ``node`` (inside a function; else none)."""
    fs = m.function_scope(node)
    if fs is None:
        return
    for template in TEMPLATES.values():
        yield from template(m, fs, node)
