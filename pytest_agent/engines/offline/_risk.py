"""Known overfitting patterns of generate-and-validate repair (issue #12).

Edits that make tests pass by removing behaviour rather than fixing it (Qi et al.,
"An analysis of patch plausibility and correctness"; Smith et al., "Is the cure
worse than the disease?"): deleting a return or the only statement of a branch,
replacing a condition by a constant, returning a constant (the value a test
expects), inverting a condition that has two branches. The search tries them
after every other single edit and marks a winner among them "plausible only:
review".
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

from pytest_agent.engines.offline._source import Edit

__all__ = ["risk_of"]

_CONDITION_PARENTS = (ast.If, ast.While, ast.IfExp, ast.Assert)


def _is_literal(text: str) -> bool:
    try:
        ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


def _is_condition(node: ast.AST, parents: Mapping[ast.AST, ast.AST]) -> bool:
    parent = parents.get(node)
    if isinstance(parent, ast.BoolOp):
        return True
    return isinstance(parent, _CONDITION_PARENTS) and getattr(parent, "test", None) is node


def _two_way_if(node: ast.AST, parents: Mapping[ast.AST, ast.AST]) -> bool:
    if_node = node if isinstance(node, ast.If) else parents.get(node)
    return isinstance(if_node, ast.If) and (if_node is node or if_node.test is node) \
        and bool(if_node.orelse)


def _deletion_risk(node: ast.AST, parents: Mapping[ast.AST, ast.AST]) -> str:
    if isinstance(node, ast.Return):
        return "deletes a return"
    parent = parents.get(node)
    for name in ("body", "orelse"):
        body = getattr(parent, name, None)
        if isinstance(body, list) and node in body and len(body) == 1:
            return "deletes the only statement of a branch"
    return ""


def risk_of(edit: Edit, node: ast.AST, parents: Mapping[ast.AST, ast.AST]) -> str:
    """Why ``edit`` (made at ``node``) is a known overfitting pattern, or ``""``."""
    if edit.op == "delete" or (edit.op == "reuse-statement" and edit.end > edit.start):
        return _deletion_risk(node, parents)
    if edit.op == "bool-constant" and _is_condition(node, parents):
        return "replaces a condition by a constant"
    if edit.op in ("constant", "bool-constant", "magnitude", "reuse") and \
            (isinstance(parents.get(node), ast.Return) or isinstance(node, ast.Return)) and \
            _is_literal(edit.new):
        return "returns a constant"
    if edit.op == "guard" and "return " in edit.new and \
            _is_literal(edit.new.rsplit("return ", 1)[1]) and \
            edit.new.rsplit("return ", 1)[1].strip() != "None":
        return "returns a constant"
    if edit.op == "negate" and _two_way_if(node, parents):
        return "inverts a condition with two branches"
    return ""
