"""The context pack: what a proposer reads, within a token budget.

Tokens are estimated as ``ceil(characters / 4)`` (:func:`estimate_tokens`); the
pack never exceeds ``budget * 4`` characters. Sections, in order, each with a
share of the budget it may use (unused room passes to the next section):

1. the task (id, description, files, accept tests): at most 15%;
2. the failing tests: each one's source and the tail of its failure output,
   at most 35% in all, shared evenly among the first five;
3. the ranked functions' source with line numbers, best first (``>`` marks the
   most suspicious line; a long function is cut to a window around it);
4. an outline of each module holding a ranked function: the signatures of its
   other functions and classes, with line numbers.

The pack is a pure function of its inputs: no times, no absolute paths.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path

from pytest_agent._types import Location
from pytest_agent._types import Task
from pytest_agent.localize._functions import ModuleInfo
from pytest_agent.localize._functions import read_module

__all__ = ["CHARS_PER_TOKEN", "build_pack", "estimate_tokens"]

CHARS_PER_TOKEN = 4
TASK_SHARE = 0.15
TESTS_SHARE = 0.35
MAX_TESTS_SHOWN = 5
WINDOW = 15  # lines each side of the best line in a function too long to show whole
CLASS_LINES = 40  # a longer class location is shown as its outline

_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")


def estimate_tokens(text: str) -> int:
    """The documented token estimate: one token per four characters, rounded up."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def build_pack(
    task: Task,
    root: Path,
    test_root: Path,
    locations: Sequence[Location],
    failures: Mapping[str, str],
    budget_tokens: int,
) -> str:
    """Assemble the pack for ``task`` from ranked ``locations`` and failure texts."""
    limit = budget_tokens * CHARS_PER_TOKEN
    parts: list[str] = []
    room = limit

    task_text = _task_section(task)
    task_text = _cut(task_text, min(room, int(limit * TASK_SHARE)))
    parts.append(task_text)
    room -= len(task_text)

    tests_text = _tests_section(task, test_root, failures, min(room, int(limit * TESTS_SHARE)),
                                root)
    parts.append(tests_text)
    room -= len(tests_text)

    code_text, files = _code_section(root, locations, room)
    parts.append(code_text)
    room -= len(code_text)

    for rel in files:
        outline = _outline(root, rel, locations)
        if outline and len(outline) <= room:
            parts.append(outline)
            room -= len(outline)
    pack = "".join(p for p in parts if p)
    return _cut(pack, limit)


def _cut(text: str, limit: int, *, keep_tail: bool = False) -> str:
    if len(text) <= limit:
        return text
    marker = "\n[... cut to fit the context budget ...]\n"
    if limit <= len(marker):
        return ""
    if keep_tail:
        return marker + text[-(limit - len(marker)):]
    return text[: limit - len(marker)] + marker


def _task_section(task: Task) -> str:
    lines = [f"# Task {task.id}", "", task.description.strip(), ""]
    if task.files:
        lines.append("Files named by the task: " + ", ".join(task.files))
    if task.accept_tests:
        lines.append("Accept tests (must pass): " + ", ".join(task.accept_tests))
    return "\n".join(lines).rstrip() + "\n\n"


def _clean(text: str, root: Path, test_root: Path) -> str:
    for base in sorted({str(test_root.resolve()), str(root.resolve()), str(test_root),
                        str(root)}, key=len, reverse=True):
        text = text.replace(base + "/", "").replace(base, ".")
    return _ADDRESS.sub("0x...", text)


def _tests_section(task: Task, test_root: Path, failures: Mapping[str, str], room: int,
                   root: Path) -> str:
    failing = [n for n in task.accept_tests if n in failures]
    failing += sorted(n for n in failures if n not in failing and n in task.accept_tests)
    if not failing:
        # Failures keyed by a collector (a test file that did not import).
        failing = sorted(n for n in failures if "::" not in n)
    if not failing or room <= 0:
        return ""
    shown = failing[:MAX_TESTS_SHOWN]
    header = "## Failing tests\n\n"
    each = max(0, (room - len(header)) // len(shown))
    blocks = []
    for nodeid in shown:
        source = _test_source(test_root, nodeid)
        failure = _clean(failures.get(nodeid, ""), root, test_root).strip()
        block = f"### {nodeid}\n"
        if source:
            block += f"```python\n{source}```\n"
        # The failure's tail holds the assertion and the error; give it what is left.
        tail_room = each - len(block) - len("Failure:\n```\n\n```\n\n")
        if failure and tail_room > 80:
            block += f"Failure:\n```\n{_cut(failure, tail_room, keep_tail=True)}\n```\n"
        blocks.append(_cut(block + "\n", each))
    if len(failing) > len(shown):
        blocks.append(f"(and {len(failing) - len(shown)} more failing tests)\n\n")
    return _cut(header + "".join(blocks), room)


def _test_source(test_root: Path, nodeid: str) -> str:
    file_part, _, rest = nodeid.partition("::")
    if not rest:
        return ""
    names = [re.sub(r"\[.*$", "", n) for n in rest.split("::")]
    info = read_module(test_root / file_part)
    if info is None:
        return ""
    qualname = ".".join(names)
    for span in info.spans:
        if span.qualname == qualname:
            return _numbered(info.lines, span.start, span.end, None, file_part)
    return ""


def _numbered(lines: Sequence[str], start: int, end: int, mark: int | None,
              title: str | None = None) -> str:
    width = len(str(end))
    out = [f"# {title}"] if title else []
    for n in range(max(1, start), min(end, len(lines)) + 1):
        prefix = ">" if n == mark else " "
        out.append(f"{prefix}{n:>{width}} | {lines[n - 1]}".rstrip())
    return "\n".join(out) + "\n"


def _code_section(root: Path, locations: Sequence[Location], room: int) -> tuple[str, list[str]]:
    header = "## Suspicious code, most suspicious first\n\n"
    if not locations or room <= len(header):
        return "", []
    blocks: list[str] = []
    files: list[str] = []
    used = len(header)
    for rank, loc in enumerate(locations, 1):
        info = read_module(root / loc.path)
        if info is None:
            continue
        start, end = loc.start_line, min(loc.end_line, len(info.lines))
        if loc.function == "<module>":
            center = loc.line or start
            start, end = max(1, center - 5), min(len(info.lines), center + 5)
        evidence = "; ".join(loc.evidence[:4])
        title = (f"### {rank}. {loc.path}:{loc.start_line}-{loc.end_line} `{loc.function}`"
                 f" (score {loc.score:.3f})\n" + (f"Evidence: {evidence}\n" if evidence else ""))
        body = _numbered(info.lines, start, end, loc.line)
        if _is_class(info, loc.function):
            body = _class_body(info, loc)
        block = f"{title}```python\n{body}```\n\n"
        if used + len(block) > room and loc.line is not None and end - start > 2 * WINDOW:
            lo, hi = max(start, loc.line - WINDOW), min(end, loc.line + WINDOW)
            body = _numbered(info.lines, lo, hi, loc.line)
            block = f"{title}```python\n{body}```\n\n"
        if used + len(block) > room:
            continue  # a smaller, lower-ranked function may still fit
        blocks.append(block)
        used += len(block)
        if loc.path not in files:
            files.append(loc.path)
    if not blocks:
        return "", []
    return header + "".join(blocks), files


def _is_class(info: ModuleInfo, qualname: str) -> bool:
    return any(s.qualname == qualname and s.is_class for s in info.spans)


def _class_body(info: ModuleInfo, loc: Location) -> str:
    """A class location: the class (or its outline when long) and where a member goes."""
    end = min(loc.end_line, len(info.lines))
    if end - loc.start_line <= CLASS_LINES:
        body = _numbered(info.lines, loc.start_line, end, loc.line)
    else:
        prefix = loc.function + "."
        width = len(str(end))
        members = [s for s in info.spans if s.qualname.startswith(prefix)
                   and "." not in s.qualname[len(prefix):]]
        rows = [f" {loc.start_line:>{width}} | {info.lines[loc.start_line - 1]}".rstrip()]
        rows += [f" {s.def_line:>{width}} |     {s.signature}" for s in members]
        rows.append(f"{'>' if loc.line == end else ' '}{end:>{width}} | "
                    f"{info.lines[end - 1]}".rstrip())
        body = "\n".join(rows) + "\n"
    if loc.line == end:
        body += f"# a new member of {loc.function} goes after line {end}\n"
    return body


def _outline(root: Path, rel: str, locations: Sequence[Location]) -> str:
    info = read_module(root / rel)
    if info is None or not info.spans:
        return ""
    shown = {(loc.path, loc.function) for loc in locations}
    lines = []
    for span in info.spans:
        if (rel, span.qualname) in shown and not span.is_class:
            continue
        if "<locals>" in span.qualname:
            continue
        depth = span.qualname.count(".")
        lines.append(f"{span.def_line:>5} | {'    ' * depth}{span.signature}")
    if not lines:
        return ""
    tree_doc = _module_doc(info.lines)
    doc = f"{tree_doc}\n" if tree_doc else ""
    return f"## Outline of {rel} (other definitions)\n\n{doc}```python\n" + "\n".join(lines) \
        + "\n```\n\n"


def _module_doc(lines: Sequence[str]) -> str:
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return ""
    doc = ast.get_docstring(tree)
    return doc.strip().splitlines()[0] if doc else ""
