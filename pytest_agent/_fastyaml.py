"""A fast path for loading large plans: libyaml through ``ruamel.yaml.clib``.

ruamel's pure-Python round-trip loader reads about 0.25 MB of plan a second, so a 10 MB
plan took about 40 s to load. For a large plan that is valid, libyaml's composer gives
the same data and the line of every task in a fraction of that. Anything unusual (no
C extension, an alias, deep nesting, a YAML error) answers ``None``, and the caller
uses the round-trip loader, which says exactly what is wrong and where.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["FAST_MIN_CHARS", "compose_large_plan"]

#: Smaller plans always take the round-trip loader (it is fast enough there).
FAST_MIN_CHARS = 64 * 1024

#: Deeper indentation or bracket nesting takes the round-trip loader, whose depth is
#: bounded: libyaml's composer recurses in C, without Python's recursion limit.
_MAX_INDENT = 64
_MAX_BRACKETS = 32


def compose_large_plan(text: str) -> tuple[Any, list[int]] | None:
    """The plain data of a plan and the 1-based line of each task, or ``None``."""
    if len(text) < FAST_MIN_CHARS or not _shallow(text):
        return None
    try:
        from ruamel.yaml import YAML
        from ruamel.yaml.nodes import MappingNode
        from ruamel.yaml.nodes import SequenceNode

        yaml = YAML(typ="safe", pure=False)
        if "clib" not in getattr(yaml.Parser, "__module__", ""):
            return None
        node = yaml.compose(text)
    except Exception:  # noqa: BLE001 - the round-trip loader reports it, with the line
        return None
    if not isinstance(node, MappingNode) or _has_alias(node, (MappingNode, SequenceNode)):
        return None
    lines = []
    for key, value in node.value:
        if key.value == "tasks" and isinstance(value, SequenceNode):
            lines = [item.start_mark.line + 1 for item in value.value]
    try:
        data = yaml.constructor.construct_document(node)
    except Exception:  # noqa: BLE001 - as above
        return None
    return data, lines


def _shallow(text: str) -> bool:
    """Cheap bounds on nesting: indentation and (over-counted) bracket depth."""
    if re.search(rf"^[ \t]{{{_MAX_INDENT + 1},}}", text, re.MULTILINE):
        return False
    depth = 0
    for match in _BRACKETS.finditer(text):
        depth = depth + 1 if match.group() in "[{" else max(0, depth - 1)
        if depth > _MAX_BRACKETS:
            return False
    return True


_BRACKETS = re.compile(r"[\[\]{}]")


def _has_alias(root: Any, collections: tuple[type, ...]) -> bool:
    """Whether any node is reached twice (an ``*alias``): linear, nothing is expanded."""
    seen: set[int] = set()
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return True
        seen.add(id(node))
        is_collection = isinstance(node, collections)  # (keeps ``node`` typed Any)
        if is_collection:
            for item in node.value:
                stack.extend(item if isinstance(item, tuple) else (item,))
    return False
