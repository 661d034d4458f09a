"""Signals from the failing tests' tracebacks and source.

Structured frames come from the localization run's plugin; when that run gave
nothing (it was killed, or the plugin could not load), frames are read back from
pytest's failure text.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "called_names",
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
    best: ast.stmt | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and not isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        ):
            end = node.end_lineno or node.lineno
            if node.lineno <= line <= end and (best is None or node.lineno >= best.lineno):
                best = node
    return best


def called_names(node: ast.AST | None) -> list[str]:
    """Names of the functions and methods called in ``node``, in source order."""
    if node is None:
        return []
    if isinstance(node, ast.If | ast.While | ast.For | ast.With | ast.Try):
        # A compound statement: only its header, not the body.
        header: list[ast.AST] = []
        if isinstance(node, ast.If | ast.While):
            header = [node.test]
        elif isinstance(node, ast.For):
            header = [node.iter]
        elif isinstance(node, ast.With):
            header = [item.context_expr for item in node.items]
        return [n for h in header for n in called_names(h)]
    names: list[tuple[int, int, str]] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            if isinstance(func, ast.Name):
                names.append((sub.lineno, sub.col_offset, func.id))
            elif isinstance(func, ast.Attribute):
                names.append((sub.lineno, sub.col_offset, func.attr))
    return [n for _, _, n in sorted(names)]


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
