"""Runtime evidence of a failing assertion, gathered inside the localization run.

Loaded by :mod:`._covplugin` in the inner pytest process (standard library only).

- **Value flow**: during a test's call phase a profile function records the values
  that functions of the tree (project and test helpers) return (a bounded ring,
  cleared per test). When the test fails, each operand of the failing statement
  (pytest's rewritten-assert temporaries ``@py_assert*`` and the names the statement
  uses) is followed down the chain of calls that returned that very object: the
  deepest project function on it made an immutable value; for a mutable one only the
  first project function on the way down is sure.
- **Project objects**: the project classes of those operands (and of the elements of
  a compared container, the members of a set, the keys of a dict), with the members
  their project classes define, and the object of an ``AttributeError``: what a
  missing member (``__eq__``, ``__hash__``, an attribute) needs.
- **Text origins**: for a failing comparison of two texts, the project function that
  first returned the wrong segment of one of them (:mod:`._origin`).
"""

from __future__ import annotations

import ast
import os
import sys
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from types import CodeType
from types import FrameType
from types import TracebackType
from typing import Any

from pytest_agent.localize._origin import text_origins
from pytest_agent.localize._paths import is_excluded
from pytest_agent.localize._paths import is_test_path
from pytest_agent.localize._traceback import statement_at

__all__ = ["ReturnRecorder", "failure_evidence"]

_RING = 20_000  # returns kept per test (references: values stay alive until the test ends)
_MAX_DEPTH = 30
_MAX_ELEMENTS = 20
_SCALARS = (bool, type(None), type, type(Ellipsis))
_IMMUTABLE = (int, float, complex, str, bytes, tuple, frozenset, range)
_EQ_OPS = (ast.Eq, ast.NotEq, ast.In, ast.NotIn)
_EQ_NAMES = frozenset({"==", "!=", "in", "not in"})


class ProjectFiles:
    """Memoized "is this file project code (not a test, not installed)?"."""

    def __init__(self, source: str) -> None:
        self._root = Path(source).resolve()
        self._known: dict[str, tuple[bool, bool]] = {}

    def __call__(self, filename: str) -> bool:
        return self.kind(filename)[0]

    def in_tree(self, filename: str) -> bool:
        """Project code or its tests (a test helper's returns are followed too)."""
        return self.kind(filename)[1]

    def kind(self, filename: str) -> tuple[bool, bool]:
        """``(project code, in the tree)``."""
        known = self._known.get(filename)
        if known is None:
            known = self._known[filename] = self._check(filename)
        return known

    def _check(self, filename: str) -> tuple[bool, bool]:
        if not filename.endswith(".py"):
            return False, False
        try:
            rel = Path(os.path.realpath(filename)).relative_to(self._root)
        except ValueError:
            return False, False
        if is_excluded(rel):
            return False, False
        return not is_test_path(rel), True


class ReturnRecorder:
    """A ``sys.setprofile`` function recording what project functions return."""

    def __init__(self, is_project: ProjectFiles) -> None:
        self._is_project = is_project
        self._codes: dict[CodeType, bool] = {}
        #: ``(callee code, caller code, returned value)``, oldest first.
        self.returns: deque[tuple[CodeType, CodeType | None, object]] = deque(maxlen=_RING)
        self._previous: Any = None

    def start(self) -> None:
        self.returns.clear()
        self._previous = sys.getprofile()
        sys.setprofile(self._profile)

    def stop(self) -> None:
        sys.setprofile(self._previous)
        self._previous = None

    def clear(self) -> None:
        self.returns.clear()

    def _profile(self, frame: FrameType, event: str, arg: object) -> None:
        if event != "return":
            return
        code = frame.f_code
        keep = self._codes.get(code)
        if keep is None:
            keep = self._codes[code] = self._is_project.in_tree(code.co_filename)
        if keep:
            back = frame.f_back
            self.returns.append((code, back.f_code if back is not None else None, arg))

    def chain(self, value: object, caller: CodeType) -> list[CodeType]:
        """The functions that returned ``value`` (this very object) down from ``caller``."""
        found: list[CodeType] = []
        end = len(self.returns)
        seen: set[CodeType] = set()
        while len(found) < _MAX_DEPTH:
            hit = None
            for i in range(end - 1, -1, -1):
                code, back, returned = self.returns[i]
                if back is caller and returned is value and code not in seen:
                    hit = i
                    break
            if hit is None:
                return found
            caller = self.returns[hit][0]
            seen.add(caller)
            found.append(caller)
            end = hit  # the deeper call returned before this one
        return found


def _where(code: CodeType) -> list[object]:
    return [code.co_filename, code.co_firstlineno, code.co_qualname]


def _test_frame(tb: TracebackType | None, test_file: str) -> TracebackType | None:
    last = None
    while tb is not None:
        if os.path.realpath(tb.tb_frame.f_code.co_filename) == test_file:
            last = tb
        tb = tb.tb_next
    return last


def _tree(filename: str, trees: dict[str, ast.Module | None]) -> ast.Module | None:
    """The parsed file, parsed once per run (None: it does not parse)."""
    if filename not in trees:
        try:
            trees[filename] = ast.parse(Path(filename).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            trees[filename] = None
    return trees[filename]


def _statement(filename: str, lineno: int, trees: dict[str, ast.Module | None]
               ) -> ast.stmt | None:
    tree = _tree(filename, trees)
    return statement_at(tree, lineno) if tree is not None else None


def _own_parts(stmt: ast.stmt | None) -> list[ast.AST]:
    """What a statement itself evaluates: a compound statement's header, not its body
    (``with pytest.raises(E):`` fails on the ``with`` line, not on the body's values)."""
    if stmt is None:
        return []
    if isinstance(stmt, ast.With | ast.AsyncWith):
        return [item.context_expr for item in stmt.items]
    if isinstance(stmt, ast.If | ast.While):
        return [stmt.test]
    if isinstance(stmt, ast.For | ast.AsyncFor):
        return [stmt.iter]
    if isinstance(stmt, ast.Try | ast.Match):
        return []
    return [stmt]


def _compared_names(stmt: ast.AST) -> set[str]:
    """Names compared for equality by ``stmt``: ``a == b``, ``self.assertEqual(a, b)``."""
    found: set[str] = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.Compare) and any(isinstance(op, _EQ_OPS) for op in node.ops):
            operands = [node.left, *node.comparators]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr.startswith("assert")
              and any(w in node.func.attr for w in ("Equal", "In", "Count"))):
            operands = list(node.args)
        else:
            continue
        found.update(o.id for o in operands if isinstance(o, ast.Name))
    return found


def _operands(frame: FrameType, stmt: ast.stmt | None) -> list[tuple[str, object]]:
    """The failing statement's values: rewritten-assert temporaries and the names it uses.

    Each with its role: ``"compared =="`` for a name compared for equality,
    ``"operand"`` otherwise.
    """
    local = frame.f_locals
    found = [("operand", v) for k, v in local.items() if k.startswith("@py_assert")]
    for node in _own_parts(stmt):
        compared = _compared_names(node)
        names = dict.fromkeys(n.id for n in ast.walk(node) if isinstance(n, ast.Name))
        found += [("compared ==" if n in compared else "operand", local[n])
                  for n in names if n in local]
    return [(role, v) for role, v in found if not isinstance(v, _SCALARS)
            and not isinstance(v, type(sys))]


def _elements(value: object) -> list[object]:
    if isinstance(value, dict):
        items = list(value.values())[:_MAX_ELEMENTS] + list(value)[:_MAX_ELEMENTS]
    elif isinstance(value, list | tuple | set | frozenset):
        items = list(value)[:_MAX_ELEMENTS]
    else:
        return []
    return [v for v in items if not isinstance(v, _SCALARS)]


def _project_class(cls: type, is_project: ProjectFiles) -> dict[str, object] | None:
    module = sys.modules.get(cls.__module__)
    filename = getattr(module, "__file__", None)
    if not filename or not is_project(filename):
        return None
    members: set[str] = set()
    for klass in cls.__mro__:
        kmod = sys.modules.get(klass.__module__)
        kfile = getattr(kmod, "__file__", None)
        if kfile and is_project(kfile):
            members.update(vars(klass))
    # Equality and hashing inherited from a base other than ``object`` (a ``tuple``
    # subclass compares by value); ``__hash__ = None`` (``__eq__`` without ``__hash__``)
    # is no hash at all.
    eq: object = getattr(cls, "__eq__", None)
    hash_: object = getattr(cls, "__hash__", None)
    if eq is not object.__eq__:
        members.add("__eq__")
    if hash_ is None:
        members.discard("__hash__")
    elif hash_ is not object.__hash__:
        members.add("__hash__")
    return {"file": filename, "qualname": cls.__qualname__, "members": sorted(members)[:300]}


class _Objects:
    """The project classes seen on a failing statement, with what was done to them."""

    def __init__(self, is_project: ProjectFiles) -> None:
        self._is_project = is_project
        self._classes: dict[tuple[str, str], dict[str, object]] = {}
        self._roles: dict[tuple[str, str], list[str]] = {}

    def note(self, value: object, role: str) -> None:
        info = _project_class(type(value), self._is_project)
        if info is None:
            return
        key = (str(info["file"]), str(info["qualname"]))
        self._classes.setdefault(key, info)
        if role not in self._roles.setdefault(key, []):
            self._roles[key].append(role)

    def note_compared(self, ops: tuple[str, ...], values: tuple[object, ...]) -> None:
        """The objects of the comparison pytest's rewritten assert failed on."""
        equality = any(op in _EQ_NAMES for op in ops)
        for value in values:
            self.note(value, "compared ==" if equality else "compared <")
            for element in _elements(value) if equality else ():
                self.note(element, "element ==")

    def found(self) -> list[dict[str, object]]:
        return [{**self._classes[k], "roles": self._roles[k]} for k in sorted(self._classes)]


def failure_evidence(exc: BaseException, tb: TracebackType | None, test_file: str,
                     recorder: ReturnRecorder | None, is_project: ProjectFiles,
                     trees: dict[str, ast.Module | None],
                     compared: tuple[tuple[str, ...], tuple[object, ...]] | None = None,
                     pairs: Sequence[tuple[object, object]] = (),
                     ) -> dict[str, Any]:
    """Value flow, project objects and the origin of the wrong text of a failing test's
    failing statement.

    :param compared: The operators and objects of the comparison pytest's rewritten
        assert failed on (captured from its explanation helper), when there was one.
    :param pairs: The operand pairs of the test's failed equality checks, in order
        (pytest's ``==``, unittest's ``assertEqual`` family): see :mod:`._origin`.
    """
    objects = _Objects(is_project)
    note = objects.note
    out: dict[str, Any] = {"producers": [], "classes": []}
    if isinstance(exc, AttributeError) and getattr(exc, "obj", None) is not None:
        note(exc.obj, f"lacks {exc.name}")
    if compared is not None:
        objects.note_compared(*compared)
    test_tb = _test_frame(tb, test_file)
    if test_tb is not None:
        frame = test_tb.tb_frame
        stmt = _statement(frame.f_code.co_filename, test_tb.tb_lineno, trees)
        for role, value in _operands(frame, stmt):
            note(value, role)
            if role == "compared ==":
                for element in _elements(value):
                    note(element, "element ==")
            if isinstance(value, set | frozenset | dict):
                # Set members and dict keys are told apart by __eq__ and __hash__.
                for element in list(value)[:_MAX_ELEMENTS]:
                    note(element, "hashed")
            chain = recorder.chain(value, frame.f_code) if recorder is not None else []
            depths = [i for i, code in enumerate(chain, 1) if is_project(code.co_filename)]
            if depths:
                # An immutable value was made where it was last returned from; a mutable
                # one may be filled in by a function other than the one that created
                # it: only the first project function on the way down is sure.
                depth = depths[-1] if isinstance(value, _IMMUTABLE) else depths[0]
                out["producers"].append([*_where(chain[depth - 1]), depth])
    out["classes"] = objects.found()
    if recorder is not None and isinstance(exc, AssertionError):
        pairs = pairs or _plain_assert_pair(tb, is_project, trees)
        if pairs:
            literals = _test_literals(test_tb.tb_frame, trees) if test_tb is not None else []
            out["origins"] = text_origins(pairs, recorder.returns, is_project, literals)
    return out


def _test_literals(frame: FrameType, trees: dict[str, ast.Module | None]) -> list[str | bytes]:
    """The string literals of the test function running in ``frame``, its decorators
    (``parametrize``) included, and of the module-level names those decorators read."""
    code = frame.f_code
    tree = _tree(code.co_filename, trees)
    if tree is None:
        return []
    node = next((n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
                 and code.co_firstlineno in (n.lineno, *(d.lineno for d in n.decorator_list))),
                None)
    if node is None:
        return []
    read = {n.id for d in node.decorator_list for n in ast.walk(d) if isinstance(n, ast.Name)}
    parts: list[ast.AST] = [node, *(a.value for a in tree.body if isinstance(a, ast.Assign)
                                    and any(isinstance(t, ast.Name) and t.id in read
                                            for t in a.targets))]
    return [c.value for part in parts for c in ast.walk(part)
            if isinstance(c, ast.Constant) and isinstance(c.value, str | bytes)]


def _plain_assert_pair(tb: TracebackType | None, is_project: ProjectFiles,
                       trees: dict[str, ast.Module | None]) -> list[tuple[object, object]]:
    """The operands of ``assert a == b`` where pytest did not rewrite the assert (a test
    helper module such as tabulate's ``test/common.py``, ``assert expected == result``),
    read from the raising frame's locals: plain names only (nothing is evaluated)."""
    last = None
    while tb is not None:
        last, tb = tb, tb.tb_next
    if last is None:
        return []
    frame = last.tb_frame
    filename = frame.f_code.co_filename
    if is_project(filename) or not is_project.in_tree(filename):
        return []  # an assert of the project's own code checks no output
    stmt = _statement(filename, last.tb_lineno, trees)
    if not (isinstance(stmt, ast.Assert) and isinstance(stmt.test, ast.Compare)
            and len(stmt.test.ops) == 1 and isinstance(stmt.test.ops[0], ast.Eq)):
        return []
    left, right = stmt.test.left, stmt.test.comparators[0]
    local = frame.f_locals
    if not (isinstance(left, ast.Name) and isinstance(right, ast.Name)
            and left.id in local and right.id in local):
        return []
    return [(local[left.id], local[right.id])]
