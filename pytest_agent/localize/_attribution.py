"""Which statement of a test called which project function (statement-level attribution).

Per-test coverage credits every project function a failing test ran equally: a test
that parses a document, changes it and compares its rendering runs the parser, the
changing method and the renderer, all "covered by the failing test only". What sets
them apart is *which statement of the test* entered them. During a test's call phase,
:class:`CallAttributor` (a ``sys.setprofile`` function, chained after the one already
installed) maps each project function entered to the innermost frame of a test file on
the stack and that frame's current line: the test statement that was executing when
the function was entered, and how many project frames lie between them (``depth`` 1:
the statement called it itself).

It costs one dictionary look-up per Python call and return (plus a walk up the stack,
through frames outside the project, to the nearest recorded frame, when a project
function is entered). The plugin keeps what it recorded only for the tests whose call
phase failed (:mod:`._covplugin`), as one JSON record per test, written when the test
reports: like the outcome records, it survives a run killed later and the warm
server's forked children (the records go through the run's JSON lines file).

coverage.py's own tracer (``sys.settrace``) is independent of the profile function;
both are paused while pytest renders a failed assertion (``_pause`` in the plugin):
a ``__repr__`` called to explain the failure is not called *by the test*.

Standard library only: this module is imported in the inner pytest process.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from types import CodeType
from types import FrameType
from typing import Any
from typing import final

from pytest_agent.localize._evidence import ProjectFiles

__all__ = ["CallAttributor", "CallSite", "StatementCalls", "statement_calls"]

#: Distinct (function, statement) pairs kept per test: a bound on the record's size.
MAX_CALLS = 5000

_OTHER, _PROJECT, _TEST = 0, 1, 2
#: An entered project frame with no test frame below it (called from pytest itself).
_NO_SITE = (-1, 0)


@final
@dataclass(frozen=True)
class CallSite:
    """A project function that a failing test's statement entered."""

    #: Absolute filename of the function's code, its first line (``co_firstlineno``:
    #: the first decorator of a decorated function) and its qualname.
    file: str
    line: int
    qualname: str
    #: The innermost test-file frame when the function was entered: its file and the
    #: line it was executing (the test's statement, or a test helper's).
    test_file: str
    test_line: int
    #: 1: the statement called the function itself; n: n - 1 project frames between
    #: (the least over all the entries from that statement).
    depth: int


@final
@dataclass(frozen=True)
class StatementCalls:
    """Statement-level attribution of one failing test's call phase."""

    nodeid: str
    calls: tuple[CallSite, ...]
    #: ``(test file, line)`` of each statement that entered a project function, in
    #: the order the test first ran them (the last one ran last).
    statements: tuple[tuple[str, int], ...]
    #: More than :data:`MAX_CALLS` pairs: the rest were not kept.
    truncated: bool = False


class CallAttributor:
    """A ``sys.setprofile`` function mapping project functions to the test statement
    that entered them; :meth:`start` and :meth:`stop` around a test's call phase."""

    def __init__(self, is_project: ProjectFiles) -> None:
        self._is_project = is_project
        self._kinds: dict[CodeType, int] = {}
        #: Entered project frames still running -> (statement index, depth).
        self._active: dict[FrameType, tuple[int, int]] = {}
        self._statements: dict[tuple[str, int], int] = {}
        #: (function code, statement index) -> least depth.
        self._calls: dict[tuple[CodeType, int], int] = {}
        self._truncated = False
        self._chained: Any = None
        self._previous: Any = None
        self._running = False
        #: > 0 while pytest renders a failed assertion: nothing is attributed.
        self.paused = 0

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> None:
        """Install, chained after the profile function installed now (if any)."""
        self.clear()
        self._previous = sys.getprofile()
        self._chained = self._previous
        self._running = True
        sys.setprofile(self._profile)

    def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        sys.setprofile(self._previous)
        self._previous = self._chained = None
        self._active.clear()

    def clear(self) -> None:
        self._active.clear()
        self._statements.clear()
        self._calls.clear()
        self._truncated = False

    # -- the profile function --------------------------------------------------------

    def _kind(self, code: CodeType) -> int:
        kind = self._kinds.get(code)
        if kind is None:
            project, in_tree = self._is_project.kind(code.co_filename)
            kind = self._kinds[code] = _PROJECT if project else _TEST if in_tree else _OTHER
        return kind

    def _profile(self, frame: FrameType, event: str, arg: object) -> None:
        chained = self._chained
        if chained is not None:
            chained(frame, event, arg)
        if event == "call":
            if not self.paused and self._kind(frame.f_code) == _PROJECT:
                self._enter(frame)
        elif event == "return" and self._active:
            self._active.pop(frame, None)

    def _enter(self, frame: FrameType) -> None:
        site = self._site(frame.f_back)
        self._active[frame] = site
        if site is _NO_SITE:
            return
        key = (frame.f_code, site[0])
        known = self._calls.get(key)
        if known is None:
            if len(self._calls) >= MAX_CALLS:
                self._truncated = True
                return
            self._calls[key] = site[1]
        elif site[1] < known:
            self._calls[key] = site[1]

    def _site(self, back: FrameType | None) -> tuple[int, int]:
        """The statement and depth of a project function called from ``back``."""
        while back is not None:
            known = self._active.get(back)
            if known is not None:
                return known if known is _NO_SITE else (known[0], known[1] + 1)
            if self._kind(back.f_code) == _TEST:
                where = (back.f_code.co_filename, back.f_lineno or 0)
                index = self._statements.get(where)
                if index is None:
                    index = self._statements[where] = len(self._statements)
                return (index, 1)
            # Outside the project (a library, a built-in's Python caller) or a project
            # frame entered while paused: look further down.
            back = back.f_back
        return _NO_SITE

    # -- the record ------------------------------------------------------------------

    def record(self, nodeid: str) -> dict[str, Any]:
        """What the test's call phase entered, as a JSON-able record."""
        statements = sorted(self._statements, key=self._statements.__getitem__)
        calls = [
            [code.co_filename, code.co_firstlineno, code.co_qualname, index, depth]
            for (code, index), depth in self._calls.items()
        ]
        return {"kind": "attribution", "nodeid": nodeid,
                "statements": [list(s) for s in statements], "calls": calls,
                "truncated": self._truncated}


def statement_calls(rec: dict[str, Any]) -> StatementCalls:
    """The typed form of a record written by :meth:`CallAttributor.record`."""
    statements = tuple((str(f), int(n)) for f, n in rec.get("statements", []))
    calls = []
    for file, line, qualname, index, depth in rec.get("calls", []):
        if 0 <= int(index) < len(statements):
            test_file, test_line = statements[int(index)]
            calls.append(CallSite(file=str(file), line=int(line), qualname=str(qualname),
                                  test_file=test_file, test_line=test_line,
                                  depth=int(depth)))
    return StatementCalls(nodeid=str(rec["nodeid"]), calls=tuple(calls),
                          statements=statements, truncated=bool(rec.get("truncated")))
