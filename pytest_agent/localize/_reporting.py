"""Code that builds the exception a failing test fails with: reporting, not evidence.

A project exception class's ``__init__`` (and its bases' ``__init__``, ``__str__``,
``__repr__``) runs because a check somewhere raised it: in the failing test only,
when only the failing test's input is refused, so its spectrum is Ochiai 1.0, and the
test's words (``init``, ``error``) name it too. It reports what the check decided;
the fault is the check or the code that made the value it refused (#17, the study
split's dacite-a440f2f: ``WrongTypeError.__init__`` and its base
``DaciteFieldError.__init__`` ranked second and third, the function that should have
converted the value fifth; jmespath-f23b196: the test checks ``str(exception)``, and
``JMESPathTypeError.__str__``, which formats what it was given, ranked first). The
same rule as the rendering pause of the coverage run (a ``__repr__`` that runs only
because an assertion failed), for the exception's own construction.

Which classes: a failing test's exception type (raised through the test), and the
project exception objects of its failing statement (``str(exception)`` of one it
caught), with their project base classes that are exceptions too.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable

from pytest_agent.localize._coverage import ExceptionRecord
from pytest_agent.localize._functions import FunctionSpan
from pytest_agent.localize._ranker import Ranker

__all__ = ["reporting_spans"]

#: How many classes up a hierarchy are followed.
_MAX_CLASSES = 12


def reporting_spans(ranker: Ranker, records: Iterable[ExceptionRecord]
                    ) -> dict[str, list[FunctionSpan]]:
    """Per project module: the methods of the exception classes the failing tests'
    records name (their type, their failing statement's objects) and of their project
    exception bases."""
    names: set[str] = set()
    for rec in records:
        if rec.type:
            names.add(rec.type.rsplit(".", 1)[-1])
        names.update(obj.qualname.rsplit(".", 1)[-1] for obj in rec.objects)
    classes: dict[tuple[str, str], FunctionSpan] = {}
    for name in sorted(names):
        for rel, span in ranker.classes_named(name):
            found = _exception_hierarchy(ranker, rel, span)
            classes.update({(r, s.qualname): s for r, s in found})
    spans: dict[str, list[FunctionSpan]] = {}
    for (rel, qualname), _ in sorted(classes.items()):
        info = ranker.module(rel)
        if info is not None:
            spans.setdefault(rel, []).extend(
                s for s in info.spans if s.qualname.startswith(qualname + ".")
                and not s.is_class)
    return spans


def _exception_hierarchy(ranker: Ranker, rel: str, cls: FunctionSpan
                         ) -> list[tuple[str, FunctionSpan]]:
    """``cls`` and its project base classes, when some base is a builtin exception
    (``Exception``, ``ValueError``): ``[]`` for a class that is no exception."""
    found: list[tuple[str, FunctionSpan]] = []
    todo = [(rel, cls)]
    is_exception = False
    while todo and len(found) < _MAX_CLASSES:
        mrel, span = todo.pop()
        found.append((mrel, span))
        for name in _base_names(ranker, mrel, span):
            builtin = getattr(builtins, name, None)
            if isinstance(builtin, type) and issubclass(builtin, BaseException):
                is_exception = True
            todo += [b for b in ranker.classes_named(name) if b not in found]
    return found if is_exception else []


def _base_names(ranker: Ranker, rel: str, span: FunctionSpan) -> list[str]:
    node = ranker.class_node(rel, span)
    if node is None:
        return []
    return [b.id if isinstance(b, ast.Name) else b.attr for b in node.bases
            if isinstance(b, ast.Name | ast.Attribute)]
