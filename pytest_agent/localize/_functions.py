"""Function spans of a module, from ``ast``: qualnames, line spans, signatures."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import final

__all__ = ["FunctionSpan", "ModuleInfo", "parse_file", "read_module"]

MODULE = "<module>"


@final
@dataclass(frozen=True)
class FunctionSpan:
    """One ``def`` (or ``class``, for lines in a class body outside its methods)."""

    qualname: str
    #: First line (its first decorator) and last line, 1-based, inclusive.
    start: int
    end: int
    #: The ``def`` line itself.
    def_line: int
    #: ``def name(args) -> ret:`` (or ``class Name(bases):``), one line.
    signature: str
    is_class: bool = False

    def contains(self, line: int) -> bool:
        return self.start <= line <= self.end


@final
@dataclass(frozen=True)
class ModuleInfo:
    path: Path
    lines: tuple[str, ...]
    #: Every function and class, in source order (outer before inner).
    spans: tuple[FunctionSpan, ...]
    #: ``(line, message)`` when the module does not parse.
    syntax_error: tuple[int, str] | None = None
    #: Lines that run when the module is imported (module- and class-level statements,
    #: ``def``/``class`` headers and decorators), once per process, in whichever test
    #: first imports the module: their coverage says nothing about a failure.
    import_lines: frozenset[int] = frozenset()

    def enclosing(self, line: int) -> FunctionSpan | None:
        """The innermost function around ``line``; a class when no method holds it."""
        best: FunctionSpan | None = None
        for span in self.spans:
            if span.contains(line) and (
                best is None or (best.is_class and not span.is_class)
                or (span.is_class == best.is_class and span.start >= best.start)
            ):
                best = span
        return best

    def by_name(self, name: str) -> tuple[FunctionSpan, ...]:
        """Spans whose qualname is ``name`` or ends with ``.name``."""
        return tuple(s for s in self.spans
                     if s.qualname == name or s.qualname.endswith("." + name))


def read_module(path: Path) -> ModuleInfo | None:
    """Parse ``path``; ``None`` when it cannot be read as text."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    lines = tuple(text.splitlines())
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        return ModuleInfo(path, lines, _spans_by_indent(lines), (exc.lineno or 1, exc.msg))
    except ValueError:  # null bytes
        return None
    spans: list[FunctionSpan] = []
    _walk(tree, "", spans, lines)
    found: set[int] = set()
    _import_time(tree.body, found)
    return ModuleInfo(path, lines, tuple(spans), import_lines=frozenset(found))


def _import_time(body: list[ast.stmt], out: set[int]) -> None:
    """Add the lines of ``body`` (a module's or a class's) that run at import."""
    for stmt in body:
        first_child = _first_child_line(stmt)
        header_end = (first_child - 1) if first_child else (stmt.end_lineno or stmt.lineno)
        decorators = getattr(stmt, "decorator_list", [])
        start = min([stmt.lineno, *(d.lineno for d in decorators)])
        out.update(range(start, max(stmt.lineno, header_end) + 1))
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            continue  # the body runs when called
        for field_name in ("body", "orelse", "finalbody"):
            _import_time(getattr(stmt, field_name, []), out)
        for handler in getattr(stmt, "handlers", []):
            out.add(handler.lineno)
            _import_time(handler.body, out)
        for case in getattr(stmt, "cases", []):
            _import_time(case.body, out)


def _first_child_line(stmt: ast.stmt) -> int:
    body = getattr(stmt, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
        return body[0].lineno
    return 0


_DEF = re.compile(r"^(?P<indent>\s*)(?:async\s+)?(?P<kind>def|class)\s+(?P<name>\w+)")


def _spans_by_indent(lines: tuple[str, ...]) -> tuple[FunctionSpan, ...]:
    """Function spans of a module that does not parse, from ``def`` lines and indentation."""
    spans: list[FunctionSpan] = []
    stack: list[tuple[int, str]] = []  # (indent, qualname) of the open classes
    for i, line in enumerate(lines):
        m = _DEF.match(line)
        if m is None:
            continue
        indent = len(m.group("indent"))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        prefix = stack[-1][1] + "." if stack else ""
        end = i + 1
        for j in range(i + 1, len(lines)):
            text = lines[j]
            if text.strip() and len(text) - len(text.lstrip()) <= indent:
                break
            if text.strip():
                end = j + 1
        qualname = prefix + m.group("name")
        is_class = m.group("kind") == "class"
        spans.append(FunctionSpan(qualname, i + 1, end, i + 1, line.strip(), is_class))
        if is_class:
            stack.append((indent, qualname))
    return tuple(spans)


def _walk(node: ast.AST, prefix: str, out: list[FunctionSpan], lines: tuple[str, ...]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            qualname = prefix + child.name
            start = min([child.lineno, *(d.lineno for d in child.decorator_list)])
            end = child.end_lineno or child.lineno
            is_class = isinstance(child, ast.ClassDef)
            out.append(FunctionSpan(qualname, start, end, child.lineno,
                                    _signature(child, lines), is_class))
            inner = qualname + "." if is_class else qualname + ".<locals>."
            _walk(child, inner, out, lines)
        else:
            _walk(child, prefix, out, lines)


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
               lines: tuple[str, ...]) -> str:
    # The source text up to the colon that opens the body, joined on one line.
    body_line = node.body[0].lineno if node.body else node.lineno
    first = node.lineno - 1
    last = max(first, min(body_line - 1, len(lines)) - 1)
    if node.body and node.body[0].lineno == node.lineno:  # def f(): return 1
        last = first
    text = " ".join(line.strip() for line in lines[first:last + 1])
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == ":" and depth == 0:
            return text[:i + 1]
    return text


def parse_file(path: Path) -> ast.Module | None:
    """The syntax tree of a file, ``None`` when it cannot be read or does not parse."""
    try:
        return ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None
