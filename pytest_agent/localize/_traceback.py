"""Signals from the failing tests' tracebacks and source.

Structured frames come from the localization run's plugin; when that run gave
nothing (it was killed, or the plugin could not load), frames are read back from
pytest's failure text.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "assigned_calls",
    "called_names",
    "called_targets",
    "frames_from_text",
    "hung_frame",
    "identifiers",
    "import_error_target",
    "missing_members",
    "statement_at",
]

# pytest's long traceback:  "src/mod.py:12: in func"  /  "src/mod.py:12: ValueError"
_PYTEST_FRAME = re.compile(r"^(?P<path>[^\s:][^:\n]*\.py):(?P<line>\d+): (?:in (?P<name>\S+))?",
                           re.MULTILINE)
# Python's traceback:  'File "/abs/mod.py", line 12, in func'
_PY_FRAME = re.compile(r'File "(?P<path>[^"]+\.py)", line (?P<line>\d+)(?:, in (?P<name>\S+))?')
_IMPORT_FROM = re.compile(r"cannot import name '(?P<name>\w+)' from '(?P<module>[\w.]+)'"
                          r"(?: \((?P<path>[^)]+\.py)\))?")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
# The per-test timeout's failure text (warm's plugin): "hung in <qualname> (<file>:<line>)".
_HUNG = re.compile(r"hung in (?P<qualname>[\w.<>]+) \((?P<path>[^()\n]+?\.py):(?P<line>\d+)\)")
# Python's messages when an object lacks the member an operation needs.
_MISSING: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"'(?P<cls>\w+)' object has no attribute '(?P<member>\w+)'"), ""),
    (re.compile(r"unhashable type: '(?P<cls>\w+)'"), "__hash__"),
    (re.compile(r"not supported between instances of '(?P<cls>\w+)' and '(?P<cls2>\w+)'"),
     "__lt__"),
    (re.compile(r"object of type '(?P<cls>\w+)' has no len\(\)"), "__len__"),
    (re.compile(r"'(?P<cls>\w+)' object is not iterable"), "__iter__"),
    (re.compile(r"cannot unpack non-iterable (?P<cls>\w+) object"), "__iter__"),
    (re.compile(r"'(?P<cls>\w+)' object is not subscriptable"), "__getitem__"),
    (re.compile(r"'(?P<cls>\w+)' object does not support item assignment"), "__setitem__"),
    (re.compile(r"'(?P<cls>\w+)' object is not callable"), "__call__"),
    (re.compile(r"'(?P<cls>\w+)' object is not an iterator"), "__next__"),
    (re.compile(r"'(?P<cls>\w+)' object does not support the context manager protocol"),
     "__enter__"),
)


def frames_from_text(text: str, root: Path) -> list[tuple[Path, int, str]]:
    """``(absolute path, line, function)`` of every frame named in a failure text, in order."""
    found: list[tuple[int, Path, int, str]] = []
    for pattern in (_PYTEST_FRAME, _PY_FRAME):
        for m in pattern.finditer(text):
            path = Path(m.group("path"))
            if not path.is_absolute():
                path = root / path
            found.append((m.start(), path, int(m.group("line")), m.group("name") or "?"))
    found.sort(key=lambda f: f[0])
    return [(p, n, name) for _, p, n, name in found]


def import_error_target(message: str) -> tuple[str, str, str | None] | None:
    """``(missing name, module, module path)`` of ``cannot import name 'x' from 'm'``."""
    m = _IMPORT_FROM.search(message)
    if m is None:
        return None
    return m.group("name"), m.group("module"), m.group("path")


def statement_at(tree: ast.Module, line: int) -> ast.stmt | None:
    """The innermost simple statement of ``tree`` spanning ``line``."""
    return _statement_index(tree).get(line)


@functools.lru_cache(maxsize=64)
def _statement_index(tree: ast.Module) -> dict[int, ast.stmt]:
    """Each line's innermost statement (the one starting last; a ``def``/``class`` is
    never one), built once per tree: the signals ask for a test file's statements
    hundreds of times per localization (each walked the whole file)."""
    index: dict[int, ast.stmt] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and not isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        ):
            for n in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                best = index.get(n)
                if best is None or node.lineno >= best.lineno:
                    index[n] = node
    return index


def called_names(node: ast.AST | None) -> list[str]:
    """Names of the functions and methods called in ``node``, in source order."""
    return [name for _, name in called_targets(node)]


def called_targets(node: ast.AST | None) -> list[tuple[str, str]]:
    """``(receiver, name)`` of each call in ``node``, in source order: the receiver is
    ``""`` for a bare name (``f()``), the dotted text of a name chain (``parse`` of
    ``parse.findall()``, ``self.p`` of ``self.p.run()``), or ``"?"`` for any other
    expression (``Parser(f).parse()``). A compound statement: its header only."""
    if node is None:
        return []
    if isinstance(node, ast.If | ast.While | ast.For | ast.With | ast.Try):
        return [t for h in _header(node) for t in called_targets(h)]
    found: list[tuple[int, int, str, str]] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            if isinstance(func, ast.Name):
                found.append((sub.lineno, sub.col_offset, "", func.id))
            elif isinstance(func, ast.Attribute):
                found.append((sub.lineno, sub.col_offset, _dotted(func.value), func.attr))
    return [(receiver, name) for _, _, receiver, name in sorted(found)]


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return "?" if inner == "?" else f"{inner}.{node.attr}"
    return "?"


def _header(node: ast.stmt) -> list[ast.AST]:
    """What a statement itself evaluates: a compound statement's header, not its body."""
    if isinstance(node, ast.If | ast.While):
        return [node.test]
    if isinstance(node, ast.For):
        return [node.iter]
    if isinstance(node, ast.With):
        return [item.context_expr for item in node.items]
    if isinstance(node, ast.Try):
        return []
    return [node]


def _bound(node: ast.AST) -> list[tuple[str, ast.AST]]:
    """``(name, the expression whose value it got)`` for each name ``node`` assigns."""
    pairs: list[tuple[ast.AST, ast.AST | None]] = []
    if isinstance(node, ast.Assign):
        pairs = [(t, node.value) for t in node.targets]
    elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
        pairs = [(node.target, node.value)]
    elif isinstance(node, ast.For | ast.AsyncFor):
        pairs = [(node.target, node.iter)]
    elif isinstance(node, ast.With | ast.AsyncWith):
        pairs = [(i.optional_vars, i.context_expr) for i in node.items if i.optional_vars]
    return [(n.id, value) for target, value in pairs if value is not None
            for n in ast.walk(target) if isinstance(n, ast.Name)]


def assigned_calls(function: ast.AST | None, stmt: ast.stmt | None
                   ) -> list[tuple[str, str]]:
    """The calls that computed the names ``stmt`` reads, inside the test ``function``.

    For each name the statement loads (not the names it calls), the last assignment to
    it in ``function`` before the statement: ``r = parse("{}", s)`` then
    ``assert r[0] == s`` gives ``parse`` (the test's own data flow, one step back).
    """
    if function is None or stmt is None:
        return []
    read: set[str] = set()
    for part in _header(stmt):
        # Not the names it calls (``f`` of ``f(x)``), nor a method's receiver
        # (``bucket`` of ``bucket.allow()``: the call on the line is the news).
        callees = {id(sub.func) for sub in ast.walk(part) if isinstance(sub, ast.Call)}
        callees |= {id(sub.func.value) for sub in ast.walk(part)
                    if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)}
        read |= {n.id for n in ast.walk(part) if isinstance(n, ast.Name)
                 and isinstance(n.ctx, ast.Load) and id(n) not in callees}
    last: dict[str, tuple[int, ast.AST]] = {}
    for node in ast.walk(function):
        line = getattr(node, "lineno", 0)
        if not 0 < line < stmt.lineno:
            continue
        for name, value in _bound(node):
            if name in read and line >= last.get(name, (0, value))[0]:
                last[name] = (line, value)
    return [t for _, value in sorted(last.values(), key=lambda lv: lv[0])
            for t in called_targets(value)]


def identifiers(texts: Iterable[str]) -> set[str]:
    """Identifier-like words (3+ characters) in free text, e.g. a task description."""
    found: set[str] = set()
    for text in texts:
        for word in _IDENT.findall(text):
            found.add(word)
            if "." in word:
                found.update(word.split("."))
    return found


def hung_frame(text: str) -> tuple[str, str, int] | None:
    """``(qualname, file, line)`` of ``hung in <qualname> (<file>:<line>)`` in a failure text."""
    m = _HUNG.search(text)
    if m is None:
        return None
    return m.group("qualname"), m.group("path").strip(), int(m.group("line"))


def missing_members(message: str) -> list[tuple[str, str]]:
    """``(member, class name)`` pairs that an error message says an object lacks."""
    found: list[tuple[str, str]] = []
    for pattern, member in _MISSING:
        for m in pattern.finditer(message):
            groups = m.groupdict()
            name = member or groups.get("member") or ""
            for cls in (groups.get("cls"), groups.get("cls2")):
                if cls and name:
                    found.append((name, cls))
    return list(dict.fromkeys(found))
