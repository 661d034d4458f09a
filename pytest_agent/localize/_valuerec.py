"""Value spectra: the coarse classes of what project functions take and return, per test.

Loaded by :mod:`._covplugin` in the inner pytest process (standard library only); the
parent reads the records with :func:`value_spectrum` (see :mod:`._values` for the
signal).

Xie and Notkin's *value spectra* and the "returns" predicates of Liblit's CBI: during
the call phase of **every** test a profile function records, per project function the
test ran, a few distinct *value classes* of its call: the classes of its first
positional arguments (``self``/``cls`` left out) and of what it returned. A class is
coarse on purpose (so that a passing test's classes say what is normal): ``None``,
``True``/``False``, the sign of an ``int``/``float`` (and ``nan``), the type of a
``str``/``bytes``/``list``/``tuple``/``dict``/``set`` with its length as 0, 1 or more,
the type name of anything else (no method of a user object is called); a return value
that *is* the first argument, or a ``str``/``bytes`` equal to it, gets ``=`` (a
function that passed its input on unchanged); a call left by an exception returns
``!raise``. With each observation goes the project function that called it (the
nearest one on the stack), so the parent can tell the function where a bad value
appeared from its callers, which only pass it on.

Bounded: per test at most :data:`PER_FUNCTION` distinct classes per function and
:data:`PER_TEST` observations in all (the rest is dropped and the record says so);
what is kept per test is a set of small tuples, written as one JSON line when the test
ends and then cleared. Generators, coroutines and comprehensions are not recorded
(their ``return`` events are yields).

The records hold numbers for functions; each process announces what its numbers
stand for (``values-functions``, keyed by its pid: a warm server's forked children
each have their own) before the first test record that uses them.
"""

from __future__ import annotations

import dis
import math
import os
import sys
from collections import Counter
from collections import OrderedDict
from collections import defaultdict
from collections import deque
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from types import CodeType
from types import FrameType
from typing import Any
from typing import final

from pytest_agent.localize._evidence import ProjectFiles

__all__ = [
    "GIVEN", "MAX_ATTRS", "PER_FUNCTION", "PER_FUNCTION_PREDICATES", "PER_TEST", "RAISED", "SAME",
    "UNCHANGED", "VALUES_ENV", "ValueRecorder", "ValueSpectrum", "split_class", "value_class",
    "value_spectrum",
]

#: ``1`` in the inner run's environment turns the recording on (off by default: it
#: costs the coverage run 1.25-1.5x its CPU time, and the signal is off, see _values).
VALUES_ENV = "PYTEST_AGENT_LOCALIZE_VALUES"
#: Distinct (arguments, return) classes kept per function and test.
PER_FUNCTION = 6
#: Observations (function, classes, caller) kept per test.
PER_TEST = 4000
#: Calls of a function recorded in full per test; after them every SAMPLE_EVERY-th
#: (deterministic sampling, as CBI samples its predicates: a parser's helpers run
#: hundreds of thousands of times, and recording each call would double the run).
SAMPLE_AFTER = 64
SAMPLE_EVERY = 16
#: Positional arguments whose classes are recorded.
MAX_ARGS = 3
#: The return class of a call that an exception left.
RAISED = "!raise"
#: Marks a return class: the function returned its first argument (or a str/bytes
#: equal to it).
SAME = "="
#: Distinct predicates (see :meth:`ValueRecorder._predicates`), with the argument
#: classes of the calls where they held, kept per function and test.
PER_FUNCTION_PREDICATES = 16
#: Separates a predicate's argument classes (``a,b``) from the predicate.
GIVEN = "|"
#: Attributes of the receiver (``self``) compared before and after a method.
MAX_ATTRS = 8
#: The predicate of a method that changed none of its receiver's attributes.
UNCHANGED = "{}"

_SKIPPED_FLAGS = 0x20 | 0x80 | 0x100 | 0x200  # generator, coroutine, iterable coro, async gen
_RETURN_OPS = frozenset(op for name, op in dis.opmap.items()
                        if name in ("RETURN_VALUE", "RETURN_CONST"))
_SIZED = (str, bytes, list, tuple, dict, set, frozenset)
_NUMBERS = (int, float)
_NO_CALLER = -1
_UNKNOWN: Any = object()


#: Class names of the sized types by length (0, 1, more) and of the numbers by sign.
_SIZED_NAMES: dict[type, tuple[str, str, str]] = {
    t: (f"{t.__name__}:0", f"{t.__name__}:1", f"{t.__name__}:n") for t in _SIZED}
_NUMBER_NAMES: dict[type, tuple[str, str, str]] = {
    t: (f"{t.__name__}:-", f"{t.__name__}:0", f"{t.__name__}:+") for t in _NUMBERS}
#: The class of every value of a type (its qualname), learnt as types are met.
_PLAIN: dict[type, str] = {type(None): "None"}


def value_class(value: object) -> str:
    """The coarse class of ``value`` (calls no method of a user object)."""
    kind = type(value)
    plain = _PLAIN.get(kind)
    if plain is not None:
        return plain
    if kind is bool:
        return "True" if value else "False"
    sized = _SIZED_NAMES.get(kind)
    if sized is not None:
        n = len(value)  # type: ignore[arg-type]
        return sized[n if n < 2 else 2]
    signs = _NUMBER_NAMES.get(kind)
    if signs is not None:
        number: float = value  # type: ignore[assignment]
        if number != number:
            return "float:nan"
        if kind is float and math.isinf(number):
            return "float:inf"
        return signs[0 if number < 0 else 1 if number == 0 else 2]
    name = _PLAIN[kind] = kind.__qualname__
    return name


_Entered = tuple[FrameType, "_Code", tuple[str, ...], object, int, "float | None",
                 "dict[str, Any] | None", "dict[str, tuple[str, int]] | None"]


def _measure(value: object, kind: type) -> float | None:
    """What ``ret<arg`` compares: the size of a sized value, a number (not a bool), if
    ``value`` is of the type ``kind`` (a number: of either number type; a key and the
    value it maps to are not compared)."""
    own = type(value)
    if own in _SIZED_NAMES:
        return len(value) if own is kind else None  # type: ignore[arg-type]
    if own in _NUMBER_NAMES and kind in _NUMBER_NAMES:
        number: float = value  # type: ignore[assignment]
        return number if number == number else None
    return None


def _attributes(obj: object) -> dict[str, Any] | None:
    """The instance dict of ``obj`` (None: it has none); no ``__getattr__`` of the
    project is called."""
    try:
        attrs = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        return None
    return attrs if type(attrs) is dict else None


#: Types whose size the receiver's state compares: the sized builtins and the
#: collections a receiver keeps its entries in (their ``len`` is C code: no project
#: method runs).
_STATE_SIZED = frozenset(_SIZED_NAMES) | {OrderedDict, defaultdict, deque, Counter}


def _state(attrs: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """Class and size (-1: not sized) of the first :data:`MAX_ATTRS` attributes."""
    state: dict[str, tuple[str, int]] = {}
    for name, value in attrs.items():
        if len(state) >= MAX_ATTRS:
            break
        if type(name) is str:
            state[name] = (value_class(value),
                           len(value) if type(value) in _STATE_SIZED else -1)
    return state


def split_class(text: str) -> tuple[tuple[str, ...], str]:
    """``(argument classes, return class)`` of a recorded class text ``a,b>r``."""
    args, _, ret = text.rpartition(">")
    return (tuple(args.split(",")) if args else ()), ret


@final
class _Code:
    """What the recorder knows of one project function's code."""

    __slots__ = ("args", "calls", "fid", "method", "returns")

    def __init__(self, fid: int, code: CodeType) -> None:
        self.fid = fid
        names = code.co_varnames[:code.co_argcount]
        skip_first = bool(names) and names[0] in ("self", "cls")
        #: The receiver's state is compared before and after the call.
        self.method = bool(names) and names[0] == "self"
        self.args = names[1 if skip_first else 0:][:MAX_ARGS]
        self.returns = frozenset(i.offset for i in dis.get_instructions(code)
                                 if i.opcode in _RETURN_OPS)
        #: Calls in the current test (reset by :meth:`ValueRecorder.clear`).
        self.calls = 0


class ValueRecorder:
    """A ``sys.setprofile`` function recording value classes of project functions;
    :meth:`start` and :meth:`stop` around a test's call phase (chained after the
    profile function installed then), :meth:`record` when the test ends."""

    def __init__(self, is_project: ProjectFiles) -> None:
        self._is_project = is_project
        self._codes: dict[CodeType, _Code | None] = {}
        self._functions: list[tuple[str, int, str]] = []
        self._announced = 0
        self._pid = os.getpid()
        #: Entered project frames still running: (frame, code info, argument classes,
        #: first argument, caller's function number, the first argument's measure, the
        #: receiver's attributes and their state at the call).
        self._stack: list[_Entered] = []
        #: (function number, argument classes, return class) -> callers.
        self._seen: dict[tuple[int, tuple[str, ...], str], set[int]] = {}
        self._per_function: dict[int, int] = {}
        #: (function number, predicate) -> callers (see :meth:`_predicates`).
        self._preds: dict[tuple[int, str], set[int]] = {}
        self._preds_per_function: dict[int, int] = {}
        #: The functions called in the current test (their call counts to reset).
        self._called: list[_Code] = []
        self._kept = 0
        self._truncated = False
        self._chained: Any = None
        self._previous: Any = None
        self._running = False
        #: > 0 while pytest renders a failed assertion: nothing is recorded.
        self.paused = 0

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> None:
        """Install, chained after the profile function installed now (if any)."""
        self._previous = self._chained = sys.getprofile()
        self._running = True
        sys.setprofile(self._profile)

    def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        sys.setprofile(self._previous)
        self._previous = self._chained = None
        self._stack.clear()

    def clear(self) -> None:
        self._stack.clear()
        self._seen.clear()
        self._per_function.clear()
        self._preds.clear()
        self._preds_per_function.clear()
        for info in self._called:
            info.calls = 0
        self._called.clear()
        self._kept = 0
        self._truncated = False

    # -- the profile function --------------------------------------------------------

    def _code(self, code: CodeType) -> _Code | None:
        info: _Code | None = None
        name = code.co_name
        if (not code.co_flags & _SKIPPED_FLAGS and not name.startswith("<")
                and self._is_project(code.co_filename)):
            info = _Code(len(self._functions), code)
            self._functions.append((code.co_filename, code.co_firstlineno, code.co_qualname))
        self._codes[code] = info
        return info

    def _profile(self, frame: FrameType, event: str, arg: object) -> None:
        chained = self._chained
        if chained is not None:
            chained(frame, event, arg)
        if event == "call":
            code = frame.f_code
            info = self._codes.get(code, _UNKNOWN)
            if info is _UNKNOWN:
                info = self._code(code)
            if info is None or self.paused:
                return
            calls = info.calls = info.calls + 1
            if calls == 1:
                self._called.append(info)
            elif calls > SAMPLE_AFTER and calls % SAMPLE_EVERY:
                return  # sampled (see SAMPLE_AFTER)
            self._enter(frame, info)
        elif event == "return":
            stack = self._stack
            if stack and stack[-1][0] is frame:
                self._leave(frame, arg)

    def _enter(self, frame: FrameType, info: _Code) -> None:
        first: object = None
        local = frame.f_locals if info.args or info.method else None
        if info.args:
            values = [local.get(n) for n in info.args]  # type: ignore[union-attr]
            first = values[0]
            args = tuple(map(value_class, values))
        else:
            args = ()
        attrs: dict[str, Any] | None = None
        state: dict[str, tuple[str, int]] | None = None
        if info.method:
            attrs = _attributes(local.get("self"))  # type: ignore[union-attr]
            if attrs is not None:
                state = _state(attrs)
        stack = self._stack
        caller = stack[-1][1].fid if stack else _NO_CALLER
        stack.append((frame, info, args, first, caller, _measure(first, type(first)), attrs,
                      state))

    def _leave(self, frame: FrameType, value: object) -> None:
        _, info, args, first, caller, measure, attrs, state = self._stack.pop()
        raised = value is None and frame.f_lasti not in info.returns
        if raised:
            ret = RAISED
        else:
            ret = value_class(value)
            if first is not None and (value is first or (
                    type(value) is type(first) and type(value) in (str, bytes)
                    and value == first)):
                ret += SAME
        key = (info.fid, args, ret)
        callers = self._seen.get(key)
        if callers is None:
            count = self._per_function.get(info.fid, 0)
            if count >= PER_FUNCTION or self._kept >= PER_TEST:
                self._truncated = True
            else:
                self._per_function[info.fid] = count + 1
                callers = self._seen[key] = set()
        if callers is not None and caller not in callers:
            if self._kept >= PER_TEST:
                self._truncated = True
            else:
                callers.add(caller)
                self._kept += 1
        if (predicates := self._predicates(raised, value, measure, type(first), attrs, state)):
            given = ",".join(args)
            for predicate in predicates:
                self._predicate(info.fid, f"{given}{GIVEN}{predicate}", caller)

    @staticmethod
    def _predicates(raised: bool, value: object, measure: float | None, kind: type,
                    attrs: dict[str, Any] | None, state: dict[str, tuple[str, int]] | None,
                    ) -> list[str]:
        """CBI's scalar-pair predicates of one call: the return against the first
        argument of its type (``ret<arg``, ``ret=arg``, ``ret>arg``: sizes of sized
        values, numbers by value; a filter that drops an item returns ``ret<arg``), and
        the receiver's attributes before against after (``.name:old>new`` when the class changed,
        ``.name:+`` / ``.name:-`` when a sized attribute grew or shrank within its
        class), and the call's whole change of the receiver as one predicate
        (``{.a:+ .b:None>str:1}``; :data:`UNCHANGED` when it changed nothing), which
        tells a method that grew one attribute without the other its passing calls
        grew together)."""
        out: list[str] = []
        if not raised and measure is not None:
            after = _measure(value, kind)
            if after is not None:
                out.append("ret<arg" if after < measure else "ret>arg" if after > measure
                           else "ret=arg")
        if attrs is not None and state is not None:
            now = _state(attrs)
            changes: list[str] = []
            for name in sorted(state.keys() | now.keys()):
                old_cls, old_size = state.get(name, ("", -1))
                new_cls, new_size = now.get(name, ("", -1))
                if old_cls != new_cls:
                    changes.append(f".{name}:{old_cls}>{new_cls}")
                elif old_size != new_size:
                    changes.append(f".{name}:{'+' if new_size > old_size else '-'}")
            out.extend(changes)
            out.append("{" + " ".join(changes) + "}")
        return out

    def _predicate(self, fid: int, predicate: str, caller: int) -> None:
        key = (fid, predicate)
        callers = self._preds.get(key)
        if callers is None:
            count = self._preds_per_function.get(fid, 0)
            if count >= PER_FUNCTION_PREDICATES or self._kept >= PER_TEST:
                self._truncated = True
                return
            self._preds_per_function[fid] = count + 1
            callers = self._preds[key] = set()
        if caller not in callers:
            if self._kept >= PER_TEST:
                self._truncated = True
                return
            callers.add(caller)
            self._kept += 1

    # -- the records -----------------------------------------------------------------

    def records(self, nodeid: str) -> list[dict[str, Any]]:
        """The test's record, after the announcement of new function numbers."""
        out: list[dict[str, Any]] = []
        pid = os.getpid()
        if pid != self._pid:  # a forked child: its parent's announcements are not its own
            self._pid, self._announced = pid, 0
        if self._announced < len(self._functions):
            out.append({"kind": "values-functions", "pid": pid, "first": self._announced,
                        "functions": [list(f) for f in self._functions[self._announced:]]})
            self._announced = len(self._functions)
        seen = [[fid, f"{','.join(args)}>{ret}", sorted(callers)]
                for (fid, args, ret), callers in self._seen.items()]
        preds = [[fid, text, sorted(callers)] for (fid, text), callers in self._preds.items()]
        out.append({"kind": "values-test", "pid": pid, "nodeid": nodeid, "seen": seen,
                    "preds": preds, "truncated": self._truncated})
        return out


#: Packs (function, class, caller) into one int: a test's observations are then a
#: frozenset of ints (small, and the localization cache passes them over as they are).
_BITS = 21
_MASK = (1 << _BITS) - 1


@final
@dataclass(frozen=True)
class ValueSpectrum:
    """The value classes every test of a coverage run saw (see the module's docstring)."""

    #: Function number -> (absolute filename, first line, qualname).
    functions: tuple[tuple[str, int, str], ...] = ()
    #: Class number -> its text ``arg,arg>ret`` (:func:`split_class`).
    classes: tuple[str, ...] = ()
    #: Test node id -> its observations, packed (:meth:`observations`).
    tests: Mapping[str, frozenset[int]] = field(default_factory=dict)
    #: Tests whose observations were cut at :data:`PER_TEST` / :data:`PER_FUNCTION`.
    truncated: frozenset[str] = frozenset()
    #: Predicate number -> its text ``a,b|ret<arg`` (the argument classes of the calls
    #: where it held, :data:`GIVEN`, the predicate: ``ret<arg``, ``.name:old>new``, ...;
    #: see :meth:`ValueRecorder._predicates`); empty in runs recorded before them.
    predicate_texts: tuple[str, ...] = ()
    #: Test node id -> its true predicates, packed as the observations (the class
    #: number is the predicate's); None in runs recorded before them.
    predicates: Mapping[str, frozenset[int]] | None = None

    @staticmethod
    def pack(function: int, cls: int, caller: int) -> int:
        return (((function << _BITS) | cls) << _BITS) | (caller + 1)

    def observations(self, nodeid: str) -> Iterable[tuple[int, int, int]]:
        """``(function, class, caller function or -1)`` of ``nodeid``."""
        for packed in self.tests.get(nodeid, ()):
            yield packed >> (2 * _BITS), (packed >> _BITS) & _MASK, (packed & _MASK) - 1

    def true_predicates(self, nodeid: str) -> Iterable[tuple[int, int, int]]:
        """``(function, predicate, caller function or -1)`` true in ``nodeid``."""
        for packed in (self.predicates or {}).get(nodeid, ()):
            yield packed >> (2 * _BITS), (packed >> _BITS) & _MASK, (packed & _MASK) - 1


def value_spectrum(records: Iterable[dict[str, Any]]) -> ValueSpectrum | None:
    """The :class:`ValueSpectrum` of a run's ``values-*`` records (None: there were none)."""
    tables: dict[int, list[tuple[str, int, str]]] = {}
    functions: dict[tuple[str, int, str], int] = {}
    classes: dict[str, int] = {}
    tests: dict[str, frozenset[int]] = {}
    texts: dict[str, int] = {}
    predicates: dict[str, frozenset[int]] = {}
    truncated: set[str] = set()
    for rec in records:
        if rec.get("kind") == "values-functions":
            table = tables.setdefault(int(rec["pid"]), [])
            del table[int(rec["first"]):]
            table.extend((str(f), int(n), str(q)) for f, n, q in rec["functions"])
        elif rec.get("kind") == "values-test":
            table = tables.get(int(rec["pid"]), [])
            number = _numbering(table, functions)
            nodeid = str(rec["nodeid"])
            tests[nodeid] = frozenset(
                ValueSpectrum.pack(number(fid), classes.setdefault(str(text), len(classes)),
                                   number(caller))
                for fid, text, callers in rec["seen"] if 0 <= fid < len(table)
                for caller in callers)
            predicates[nodeid] = frozenset(
                ValueSpectrum.pack(number(fid), texts.setdefault(str(text), len(texts)),
                                   number(caller))
                for fid, text, callers in rec.get("preds", ()) if 0 <= fid < len(table)
                for caller in callers)
            if rec.get("truncated"):
                truncated.add(nodeid)
    if not tests:
        return None
    return ValueSpectrum(functions=tuple(functions), classes=tuple(classes), tests=tests,
                         truncated=frozenset(truncated), predicate_texts=tuple(texts),
                         predicates=predicates)


def _numbering(table: list[tuple[str, int, str]],
               functions: dict[tuple[str, int, str], int]) -> Any:
    def number(fid: int) -> int:
        if not 0 <= fid < len(table):
            return -1
        return functions.setdefault(table[fid], len(functions))

    return number
