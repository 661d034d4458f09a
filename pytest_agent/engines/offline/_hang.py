"""A hang as localization evidence: where the test was stopped, and the loop around it.

Per-test timeouts (``pytest_agent._timeout``) stop a hanging test with the failure text
"hung in <qualname> (<file>:<line>)": the frame that was running. That line, and in
the innermost loop around it the loop's header and the statements that assign the
names its condition reads (a loop that never ends is a condition that never turns
false), are ranked above everything else the localization found.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from pathlib import Path

from pytest_agent._types import Location
from pytest_agent._types import TestRun

__all__ = ["hang_frames", "hang_locations"]

_HUNG_RE = re.compile(r"hung in (?P<qualname>[\w.<>]+) \((?P<file>[^():]+):(?P<line>\d+)\)")


def hang_frames(baseline: TestRun | None, root: Path) -> list[tuple[str, str, int]]:
    """``(path, qualname, line)`` of every "hung in <qualname> (<file>:<line>)" in the
    baseline's failures, paths relative to ``root`` (frames outside it are dropped)."""
    found: dict[tuple[str, str, int], None] = {}
    failures = baseline.failures if baseline is not None else {}
    for text in failures.values():
        for match in _HUNG_RE.finditer(text):
            path = Path(match["file"])
            if path.is_absolute():
                try:
                    path = path.resolve().relative_to(root.resolve())
                except ValueError:
                    continue
            found.setdefault((path.as_posix(), match["qualname"], int(match["line"])), None)
    return list(found)


def _innermost(tree: ast.AST, line: int, kinds: tuple[type[ast.stmt], ...]
               ) -> ast.stmt | None:
    best: ast.stmt | None = None
    for node in ast.walk(tree):
        if isinstance(node, kinds) and node.lineno <= line <= (node.end_lineno or node.lineno) \
                and (best is None or node.lineno >= best.lineno):
            best = node
    return best


def _loop_lines(loop: ast.stmt) -> list[int]:
    """The loop's header, and the lines assigning a name its condition reads."""
    if isinstance(loop, ast.While):
        reads = {n.id for n in ast.walk(loop.test) if isinstance(n, ast.Name)}
    elif isinstance(loop, ast.For):
        reads = {n.id for n in ast.walk(loop.iter) if isinstance(n, ast.Name)}
    else:
        return []
    lines = [loop.lineno]
    for node in ast.walk(loop):
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        else:
            continue
        if any(isinstance(n, ast.Name) and n.id in reads for t in targets for n in ast.walk(t)):
            lines.append(node.lineno)
    return lines


def hang_locations(frames: Sequence[tuple[str, str, int]], root: Path, top: float
                   ) -> tuple[list[Location], list[Location]]:
    """The hung frames' functions and lines (and their loops), scored above ``top``."""
    functions: list[Location] = []
    lines: list[Location] = []
    score = top * 1.5 + 1.0
    for path, qualname, line in frames:
        try:
            tree = ast.parse((root / path).read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError):
            continue
        func = _innermost(tree, line, (ast.FunctionDef, ast.AsyncFunctionDef))
        if func is None:
            continue
        end = func.end_lineno or func.lineno
        functions.append(Location(path, qualname, func.lineno, end, score, ("hung here",),
                                  line))
        loop = _innermost(func, line, (ast.While, ast.For))
        for n in dict.fromkeys([line, *(_loop_lines(loop) if loop is not None else [])]):
            lines.append(Location(path, qualname, n, n, score, ("hung here",), n))
    return functions, lines
