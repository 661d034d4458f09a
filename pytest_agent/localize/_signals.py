"""The signals that score lines and functions; weights in docs/localize.md.

Fixed by reasoning; a fit with leave-one-project-out cross-validation on the tuned and
study real bugs (benchmarks/localize/fit.py, docs/localize.md "The weights against a
fit") did not beat them, and they sit at a top-1 optimum of those bugs. Two rules (the
explicit-``raise`` split and the lower weight of outer frames) came from reading the
misses on corpus programs l01-l20; the import-time and every-test rules, the rendering pause (in the
plugin), missing members, value flow and hang frames from the misses on real
bugs listed in issue #17, each stated in general terms:

==========================================  ======  ===========================
signal                                      weight  applies to
==========================================  ======  ===========================
SBFL (Ochiai or DStar) of the line          [0, 1]  the line
... a line every test runs                  x0.01   (no evidence)
... a line run at import (module level)     0       (no evidence)
... a method of the project exception       x0.01   (no evidence: it reports,
a failing test reports (its type, or one             :mod:`._reporting`)
it caught and checks)
syntax error / error while importing        +1.0    the error's line
the failing line compares (``==``, in a set)  +2.0    the class (x share)
objects of a project class it constructs,
and the class has no ``__eq__``/``__hash__``
a project class lacks the member the        +1.0    the class (x share)
failing statement needs (an attribute, ...;
``__iter__`` when it iterates one by index,
:mod:`._iteration`)
the frame where a hanging test was stopped  +0.6    that line (x share)
(the innermost one inside a loop)
deepest project frame of a failing test     +0.5    that line (x share)
(where the interpreter raised)
... and it ranks above the project callers  margin  the function
the exception went up through (not a
crash site of another failing test)
... that frame is an explicit ``raise``     3x0.15  the raise, its ``if``, the caller
... a function that computed what the       +0.15   the function (x share,
guard of that ``raise`` reads (before it,           :mod:`._refused`)
in the raising function)
... a module constant that alone computed   margin  the constant's line: it
what a plain guard (``if m is None``)               leads the raising function
refused
the member is missing, raised in project    +0.2    the class (x share)
a project decorator of a function in a      +0.05   the decorator (x share)
failing traceback
deepest function returning the checked      +0.2    the function (x share)
value (value flow); the raise site of a
project exception the test caught and checks
... a value a recursive worker wrote into   (moved) the worker, not the function
a collector the returning function passed           returning the collector's value
called on the failing line of the test      +0.15   the function (x share)
(DID NOT RAISE: what its block called)
called where the test assigned a name the   +0.15   the function (x share)
failing line reads
... those three: the strongest, not the sum
other project frames of a failing test      +0.05   each line (x share)
called elsewhere in a failing test          +0.05   the function (x share)
named like the failing test (words of its   +0.2    the function (x share x the
name other than those of what it calls)             matched share of its name)
in the module the failing test's file is    +0.1    the function (x share)
named after (``test_parser.py``)
named in the task description               +0.05   the function
a module constant read by a suspicious      x0.5    the constant's line
function (of the function's score)
a module table's entry the failing tests    Ochiai  the entry's line
name (``tablefmt="github"``), over the
tests that name it
in the task's ``files``                     +0.02   every function of the file
==========================================  ======  ===========================
"""

from __future__ import annotations

import ast
import functools
import math
import re
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TypeVar
from typing import final

from pytest_agent._types import Task
from pytest_agent._types import TestRun
from pytest_agent.localize._coverage import ExceptionRecord
from pytest_agent.localize._coverage import SpectrumRun
from pytest_agent.localize._functions import FunctionSpan
from pytest_agent.localize._iteration import iterated_classes
from pytest_agent.localize._iteration import lacks_iter
from pytest_agent.localize._origin import origin_signal
from pytest_agent.localize._paths import is_test_path
from pytest_agent.localize._ranker import Ranker
from pytest_agent.localize._refused import RefusingCheck
from pytest_agent.localize._refused import module_constants
from pytest_agent.localize._refused import project_decorators
from pytest_agent.localize._reporting import reporting_spans
from pytest_agent.localize._sbfl import Formula
from pytest_agent.localize._sbfl import suspiciousness
from pytest_agent.localize._traceback import assigned_calls
from pytest_agent.localize._traceback import called_names
from pytest_agent.localize._traceback import called_targets
from pytest_agent.localize._traceback import frames_from_text
from pytest_agent.localize._traceback import hung_frame
from pytest_agent.localize._traceback import import_error_target
from pytest_agent.localize._traceback import missing_members
from pytest_agent.localize._traceback import statement_at

__all__ = [
    "TracebackSignals",
    "constant_readers",
    "constant_signal",
    "crash_order",
    "failing_tests",
    "name_signals",
    "project_coverage",
    "project_files",
    "record_from_text",
    "refused_constant_signal",
    "spectrum_signal",
    "table_signal",
    "task_failures",
    "test_body_signal",
    "test_module_signal",
    "test_name_signal",
]

W_IMPORT_ERROR = 1.0
W_MISSING_EQ_CERTAIN = 2.0
W_MISSING_MEMBER = 1.0
W_HUNG = 0.6
W_DEEPEST_FRAME = 0.5
#: An explicit ``raise`` (a check refused its input): this weight, split in halves
#: between the ``raise`` and its ``if`` and the caller.
W_EXPLICIT_RAISE = 0.3
W_MEMBER_IN_PROJECT = 0.2
#: A project function that computed what the guard of an explicit ``raise`` reads, in
#: the raising function before the guard (:mod:`._refused`): the value the check refused.
W_REFUSED_VALUE = 0.15
#: A project decorator of a function in a failing test's traceback (:mod:`._refused`).
W_DECORATOR = 0.05
#: A module constant that alone computed what a plain guard of an explicit ``raise``
#: refused (``match = _REGEX.match(text)``; ``if match is None: raise``): it leads the
#: raising function by a margin (1: on; 0: off, the constant keeps its reader's share).
W_REFUSED_CONSTANT = 1.0
W_VALUE_PRODUCER = 0.2
W_TEXT_ORIGIN = 0.3  # first returned the wrong text the failing comparison saw (._origin)
W_CALLED_ON_FAILING_LINE = 0.15
#: Called by the test in the statement that assigned a name the failing line reads.
W_COMPUTED_CHECKED = 0.15
W_OTHER_FRAME = 0.05
W_CALLED_IN_TEST = 0.05
W_NAMED_IN_TASK = 0.05
#: A function the failing test ran, named like the test (x share x matched share of its name).
W_TEST_NAME = 0.2
#: A function the failing test ran, in the module its test file is named after.
W_TEST_MODULE = 0.1
W_TASK_FILE = 0.02
#: A module-level constant read by a suspicious function: this share of the function's
#: score goes to the module (``<module>``, marked at the constant's line).
W_READS_CONSTANT = 0.5
#: An entry of a module-level table that the failing tests select by name: this share
#: of its Ochiai over the tests that name it.
W_TABLE_ENTRY = 1.0
#: Lines run by every test keep this share of their score: they stay ranked (below any
#: evidence) but say nothing about the failure.
EVERY_TEST = 0.01

_CODE_WORD = re.compile(r"`(\w+)`|\b(\w+)\(|\b(\w*_\w*)\b|\b\w+\.(\w+)\b")
_ERROR_LINE = re.compile(r"^(?:E\s+)?(\w*(?:Error|Exception|Exit)\b.*)$", re.MULTILINE)

#: How a traceback shows the exception being handled when another one was raised.
_DURING_HANDLING = "During handling of the above exception"

#: pytest's messages when a ``with pytest.raises/warns`` block ended without one.
_DID_NOT = ("DID NOT RAISE", "DID NOT WARN")

_Frame = tuple[str, int, str]
#: A file's record by test in the coverage run: its lines, or its arcs.
_PerTest = TypeVar("_PerTest")

#: Exceptions whose deepest project frame is no crash site: an ``assert`` of the
#: project is a check (like an explicit ``raise``), a recursion too deep stops anywhere
#: in the cycle, and a hang or a kill interrupted the code wherever it was.
_NOT_CRASHES = frozenset({"AssertionError", "RecursionError", "KeyboardInterrupt", "Failed",
                          "Timeout", "SystemExit"})
_TestSite = tuple[ast.Module, int, str]


# -- 1. the spectrum ------------------------------------------------------------------


def spectrum_signal(ranker: Ranker, spectrum: SpectrumRun, formula: Formula,
                    failing: frozenset[str], records: Iterable[ExceptionRecord] = ()
                    ) -> bool:
    """Score the lines of project files by SBFL over the run's per-test coverage.

    :param failing: The failing tests that count (the task's, see :func:`task_failures`).
    :param records: Their exceptions: the methods of the project exception classes
        they name built the failure's report (:mod:`._reporting`), no evidence.
    """
    project_cov = project_coverage(ranker, spectrum)
    for rel, kept in project_cov.items():
        ranker.executed[rel] = set().union(*kept.values())
    stats = suspiciousness(project_cov, failing, spectrum.passing, formula)
    every_test_counts = bool(spectrum.passing)
    reporting = reporting_spans(ranker, records)
    for (rel, line), st in stats.items():
        if st.score <= 0:
            continue
        ranker.line_ef[(rel, line)] = st.ef
        if every_test_counts and st.nf == 0 and st.np == 0:
            ranker.add_line(rel, line, st.score * EVERY_TEST,
                            f"run by every test ({formula} {st.score:.2f}): no evidence",
                            kind="sbfl")
        elif any(span.contains(line) for span in reporting.get(rel, ())):
            ranker.add_line(rel, line, st.score * EVERY_TEST,
                            f"builds the exception a failing test reports ({formula} "
                            f"{st.score:.2f}): no evidence", kind="sbfl")
        else:
            ranker.add_line(rel, line, st.score,
                            f"{formula} {st.score:.2f} (ef={st.ef} ep={st.ep})", kind="sbfl")
    return bool(stats)


def project_coverage(ranker: Ranker, spectrum: SpectrumRun
                     ) -> dict[str, Mapping[str, frozenset[int]]]:
    """Per project file (root-relative): the lines each test ran, less the lines run at
    import (no evidence: they run once per process, in whichever test imports first)."""
    return {rel: {test: lines - at_import for test, lines in per_test.items()}
            for rel, per_test, at_import in project_files(ranker, spectrum.coverage)}


def project_files(ranker: Ranker, per_file: Mapping[str, _PerTest]
                  ) -> Iterator[tuple[str, _PerTest, frozenset[int]]]:
    """The project files of a per-file record of the coverage run (lines or arcs, by
    test): each file's root-relative path, its record and its lines run at import."""
    for filename, per_test in per_file.items():
        rel = ranker.project_rel(filename)
        if rel is None:
            continue
        info = ranker.module(rel)
        yield rel, per_test, info.import_lines if info is not None else frozenset()


def failing_tests(accept_tests: Iterable[str], spectrum: SpectrumRun | None,
                  baseline: TestRun | None) -> frozenset[str]:
    """The failing tests that count: the run's (the baseline's when the run has none),
    narrowed to the task's by :func:`task_failures`."""
    failing = spectrum.failing if spectrum is not None else frozenset()
    if not failing and baseline is not None:
        failing = frozenset(baseline.failing)
    return task_failures(accept_tests, failing)


def task_failures(accept_tests: Iterable[str], failing: frozenset[str]) -> frozenset[str]:
    """The failing tests that are the task's: its accept tests (a file, a class, a
    parametrized function included), when any of them fails.

    Other tests of the accept tests' files that fail already (an unrelated breakage of an
    old code base on a new Python) say nothing about this fault: they are left out of
    the spectrum and the tracebacks, neither failing nor passing.
    """
    accept = tuple(accept_tests)

    def is_accept(nodeid: str) -> bool:
        return any(nodeid == a or nodeid.startswith((a + "[", a + "::")) for a in accept)

    mine = frozenset(n for n in failing if is_accept(n))
    return mine or failing


# -- 2. tracebacks, hangs, value flow, missing members ----------------------------------


def record_from_text(nodeid: str, text: str, test_root: Path) -> ExceptionRecord:
    """A failure known only by its text (no structured record): frames parsed back."""
    frames = tuple((str(p), n, name) for p, n, name in frames_from_text(text, test_root))
    return ExceptionRecord(nodeid=nodeid, type="", message=text[-2000:], frames=frames)


@final
@dataclass
class TracebackSignals:
    """The signals of the failing tests' exceptions, one record at a time."""

    ranker: Ranker
    test_root: Path
    #: Failure text per node id (the localization run's, then the baseline's).
    texts: Mapping[str, str]
    #: ``1 / number of failing tests``.
    share: float
    #: Failing tests whose own frame was found (their calls were scored).
    seen_tests: set[str] = field(default_factory=set)
    #: Per function: the strongest weight of each kind of "made the checked value"
    #: evidence (:meth:`_checked`) and the reasons, until the record is done.
    _pending: dict[tuple[str, str], tuple[FunctionSpan, dict[str, float], list[str]]] = field(
        default_factory=dict)
    #: Hanging tests whose structured record was scored.
    _hung_tests: set[str] = field(default_factory=set)
    #: Where the interpreter raised (a crash, not a check) and the project functions
    #: the exception went up through (see :func:`crash_order`).
    crashes: list[tuple[tuple[str, str], tuple[tuple[str, str], ...]]] = field(
        default_factory=list)
    #: Functions that return what recursive workers wrote into a collector they passed
    #: (:meth:`Ranker.writers`), and those workers' names.
    _relays: dict[tuple[str, str], str] = field(default_factory=dict)
    _writers: dict[tuple[str, str], list[tuple[str, FunctionSpan]]] = field(
        default_factory=dict)
    #: Module constants that alone computed what a plain guard refused: module, name,
    #: line, and the raising function (see :func:`refused_constant_signal`).
    refused: list[tuple[str, str, int, tuple[str, str]]] = field(default_factory=list)

    def run(self, records: Iterable[ExceptionRecord]) -> bool:
        records = list(records)
        for rec in records:  # before any weight is given: any test's view may need them
            self._find_relays(rec)
        used = False
        for rec in records:
            used = self.record(rec) or used
        for nodeid, text in sorted(self.texts.items()):
            used = self.hang_text(nodeid, text) or used
        return used

    def record(self, rec: ExceptionRecord) -> bool:
        if rec.syntax is not None and self.syntax(rec):
            return True
        used = self.import_error(rec)
        frames = self.project_frames(rec)
        collecting = "::" not in rec.nodeid
        if frames:
            used = True
            if collecting:
                self.collect_error(rec, frames[-1])
            else:
                self.deepest_frame(rec, frames)
            for rel, n, _ in frames[:-1]:
                self.ranker.add_line(rel, n, W_OTHER_FRAME * self.share,
                                     "in a failing test's traceback", kind="W_OTHER_FRAME")
            self.decorators(frames)
        if collecting:
            return used
        site = self.test_site(rec)
        used = self.value_flow(rec) or used
        used = origin_signal(self, rec, W_TEXT_ORIGIN) or used
        used = self.caught_exception(rec, frames) or used
        used = self.missing_members(rec, site) or used
        used = self.test_frame(rec, site) or used
        self._flush_checked()
        return used

    def _checked(self, rel: str, span: FunctionSpan, weight: float, why: str,
                 kind: str) -> None:
        """Evidence that ``span`` made what the failing statement checks (it returned
        the value, was called on the line, or computed a name the line reads): one
        fact seen three ways, so a function gets the strongest, not their sum."""
        key = (rel, span.qualname)
        if self.ranker.delegates(rel, span):
            # A one-statement delegation (``return self._update(arg)``, a forwarding
            # ``__getattr__``, ``return list(self.cache.keys())``) passes on what the
            # functions it calls computed (#17, the study split's misses).
            weight, why = 0.0, why + " (it only delegates: no weight)"
        elif key in self._relays:
            for wrel, wspan in self._writers[key]:
                self._checked(wrel, wspan, weight, f"wrote what `{span.qualname}` returned "
                              "to the failing line", kind)
            weight, why = 0.0, why + f" (it returns what {self._relays[key]} wrote: no weight)"
        _, weights, whys = self._pending.get(key, (span, {}, []))
        weights[kind] = max(weights.get(kind, 0.0), weight)
        self._pending[key] = (span, weights, [*whys, why])

    def _flush_checked(self) -> None:
        for (rel, _), (span, weights, whys) in sorted(self._pending.items()):
            weight = max(weights.values())
            for i, why in enumerate(dict.fromkeys(whys)):
                self.ranker.add_function(rel, span, weight if i == 0 else 0.0, why,
                                         kind="strongest")
        self._pending.clear()

    # -- errors before any test ran ---------------------------------------------------

    def syntax(self, rec: ExceptionRecord) -> bool:
        syntax = rec.syntax
        if syntax is None:
            return False
        rel = self.ranker.project_rel(syntax[0])
        if rel is None:
            return False
        self.ranker.add_line(rel, syntax[1], W_IMPORT_ERROR,
                             f"{rec.type or 'SyntaxError'} here: {rec.message[:120]}",
                             kind="W_IMPORT_ERROR")
        return True

    def import_error(self, rec: ExceptionRecord) -> bool:
        target = import_error_target(rec.message)
        if target is None:
            return False
        name, module, path = target
        rel = self.ranker.project_rel(path) if path else module_path(self.ranker, module)
        info = self.ranker.module(rel) if rel else None
        if not rel or info is None:
            return False
        self.ranker.add_function(rel, None, W_IMPORT_ERROR * 0.5,  # module level
                                 f"cannot import name {name!r} from {module!r}",
                                 kind="W_IMPORT_ERROR")
        return True

    def collect_error(self, rec: ExceptionRecord, frame: _Frame) -> None:
        rel, n, _ = frame
        error = _error_line(rec.message + "\n" + self.texts.get(rec.nodeid, "")) \
            or f"{rec.type}: {rec.message[:100]}"
        self.ranker.add_line(rel, n, W_IMPORT_ERROR, f"error while importing: {error}",
                             kind="W_IMPORT_ERROR")

    # -- frames --------------------------------------------------------------------------

    def project_frames(self, rec: ExceptionRecord) -> list[_Frame]:
        found = self._project(rec.frames)
        if not found:
            # Frames pytest only shows as text: a module that failed to import is
            # reported as a CollectError whose message holds the original traceback.
            text = rec.message + "\n" + self.texts.get(rec.nodeid, "")
            found = self._project(frames_from_text(text, self.test_root))
        return found

    def _project(self, frames: Iterable[tuple[str | Path, int, str]]) -> list[_Frame]:
        found: list[_Frame] = []
        for f, n, name in frames:
            rel = self.ranker.project_rel(f)
            if rel is not None:
                found.append((rel, n, name))
        return found

    def deepest_frame(self, rec: ExceptionRecord, frames: list[_Frame]) -> None:
        rel, n, _ = frames[-1]
        if rec.hung:
            self._hung_tests.add(rec.nodeid)
            self.hung(frames)
            return
        why = f"raised here: {rec.type}: {rec.message[:80]}".rstrip(": ")
        guard = self.ranker.raise_guard(rel, n)
        if guard is None:
            self.ranker.add_line(rel, n, W_DEEPEST_FRAME * self.share, why,
                                 kind="W_DEEPEST_FRAME")
            if rec.type not in _NOT_CRASHES:
                self._crash(frames)
            return
        # An explicit ``raise``: a check refused its input. Either the check is wrong
        # (its condition) or the caller passed bad values.
        half = W_EXPLICIT_RAISE * self.share / 2
        self.ranker.add_line(rel, n, half, why, kind="W_EXPLICIT_RAISE")
        if guard:
            self.ranker.add_line(rel, guard, half, "guards the raise", kind="W_EXPLICIT_RAISE")
        if len(frames) > 1:
            crel, cn, _ = frames[-2]
            self.ranker.add_line(crel, cn, half, "called the check that raised",
                                 kind="W_EXPLICIT_RAISE")
        check = RefusingCheck.at(self.ranker, rel, n)
        if check is None:
            return
        reader = (rel, self.ranker.function_at(rel, n).name)
        for name, cline in check.constants():
            self.refused.append((rel, name, cline, reader))
        for prel, pspan, name in check.producers():
            self.ranker.add_function(prel, pspan, W_REFUSED_VALUE * self.share,
                                     f"computed `{name}`, which the check that raised "
                                     "refused", kind="W_REFUSED_VALUE")

    def decorators(self, frames: list[_Frame]) -> None:
        """The project decorators of the traceback's functions: they ran at import
        (no spectrum) and built what each call goes through (:mod:`._refused`)."""
        if W_DECORATOR <= 0:
            return  # off: not even listed
        seen: set[tuple[str, str]] = set()
        for rel, n, _ in frames:
            span = self.ranker.function_at(rel, n).span
            if span is None or span.is_class:
                continue
            for drel, dspan in project_decorators(self.ranker, rel, span):
                if (drel, dspan.qualname) not in seen:
                    seen.add((drel, dspan.qualname))
                    self.ranker.add_function(
                        drel, dspan, W_DECORATOR * self.share,
                        f"decorates `{span.qualname}`, in a failing test's traceback",
                        kind="W_DECORATOR")

    def _crash(self, frames: list[_Frame]) -> None:
        rel, n, _ = frames[-1]
        crashed = (rel, self.ranker.function_at(rel, n).name)
        callers = tuple(dict.fromkeys(
            key for key in ((f, self.ranker.function_at(f, fn).name) for f, fn, _ in frames[:-1])
            if key != crashed))
        self.crashes.append((crashed, callers))

    def hang_text(self, nodeid: str, text: str) -> bool:
        """``hung in <qualname> (<file>:<line>)``: a per-test timeout's interrupted frame,
        unless the test's structured record already told (one hang counts once)."""
        found = hung_frame(text)
        if found is None or nodeid in self._hung_tests:
            return False
        qualname, path, line = found
        target = Path(path) if Path(path).is_absolute() else self.test_root / path
        rel = self.ranker.project_rel(target)
        if rel is None:
            return False
        # The text's stack ("Stack when it was stopped:"), when it has one.
        frames = self._project(frames_from_text(text, self.test_root))
        self.hung(frames if frames and frames[-1][:2] == (rel, line) else [(rel, line, qualname)])
        return True

    def hung(self, frames: list[_Frame]) -> None:
        """A hang is a loop that does not end: the innermost frame stopped inside a
        ``while``/``for`` loop, not the helper below it where the alarm happened to
        strike (``_strip_ansi`` called from the loop of ``_wrap_chunks``)."""
        deepest = frames[-1]
        loop = next((f for f in reversed(frames) if _in_loop(self.ranker, f[0], f[1])), deepest)
        rel, n, _ = loop
        why = f"the test hung here ({deepest[2]})" if loop == deepest else \
            f"the test hung in this loop (stopped below it, in {deepest[2]})"
        self.ranker.add_line(rel, n, W_HUNG * self.share, why, kind="W_HUNG")

    # -- the failing statement's values ------------------------------------------------

    def value_flow(self, rec: ExceptionRecord) -> bool:
        used = False
        for rel, span, qualname, depth in self._producers(rec):
            how = "returned" if depth == 1 else f"produced ({depth} calls down)"
            self._checked(rel, span, W_VALUE_PRODUCER * self.share,
                          f"{how} the value the failing line checks ({qualname})",
                          "W_VALUE_PRODUCER")
            used = True
        return used

    def caught_exception(self, rec: ExceptionRecord, frames: list[_Frame]) -> bool:
        """The test caught a project exception and checks it (``except E as e: assert
        e.code == ...``, a ``match=`` of ``pytest.raises``): the failure text shows the
        caught one's traceback "during handling" of the assertion. Where it was raised
        made the value the failing line checks (#17, the study split's
        schema-15158c5: the raise site of ``SchemaWrongKeyError``, which lost the key
        schema's message, below code only the failing test's input ran)."""
        if not frames or rec.type != "AssertionError" or self._project(rec.frames):
            return False
        if _DURING_HANDLING not in rec.message + self.texts.get(rec.nodeid, ""):
            return False
        rel, n, _ = frames[-1]
        span = self.ranker.function_at(rel, n).span
        if span is None or span.is_class:
            return False
        self._checked(rel, span, W_VALUE_PRODUCER * self.share,
                      "raised the exception the failing test caught and checks",
                      "W_VALUE_PRODUCER")
        return True

    def _producers(self, rec: ExceptionRecord) -> list[tuple[str, FunctionSpan, str, int]]:
        found: list[tuple[str, FunctionSpan, str, int]] = []
        for filename, first_line, qualname, depth in dict.fromkeys(rec.producers):
            place = self.ranker.code_function(filename, first_line)
            if place is not None:
                found.append((*place, qualname, depth))
        return found

    def _find_relays(self, rec: ExceptionRecord) -> None:
        """``return output.getvalue()`` after ``_emit(key, value, handler)`` wrote into
        ``output``: the value was made below (#17, the study split's xmltodict-ab4c86f
        and -79ac9a4, ``unparse`` over the recursive ``_emit``). Returned, called on
        the failing line, computed a checked name: one fact, and it is the writers'
        (as for a delegation)."""
        for rel, span, _, _ in self._producers(rec):
            writers = [(r, s) for r, s in self.ranker.writers(rel, span) if self._ran(r, s)]
            if writers:
                self._relays[(rel, span.qualname)] = ", ".join(
                    f"`{s.qualname}`" for _, s in writers)
                self._writers[(rel, span.qualname)] = writers

    def _ran(self, rel: str, span: FunctionSpan) -> bool:
        return any(span.contains(n) for n in self.ranker.executed.get(rel, ()))

    def missing_members(self, rec: ExceptionRecord, site: _TestSite | None) -> bool:
        """A project class lacks the member the failing statement needs."""
        wanted: dict[tuple[str, str], tuple[FunctionSpan, str]] = {}
        protocols = _protocols(site)
        for obj in rec.objects:
            rel = self.ranker.project_rel(obj.file)
            info = self.ranker.module(rel) if rel else None
            spans = [s for s in info.spans if s.qualname == obj.qualname and s.is_class] \
                if info is not None else []
            if rel is None or not spans:
                continue
            for member in _needed(obj.roles, obj.members):
                wanted.setdefault((rel, member), (spans[0], obj.qualname))
            for members in protocols:
                if not members & obj.members:
                    wanted.setdefault((rel, min(members)), (spans[0], obj.qualname))
        for (rel, member), found in self._named_missing(rec, site).items():
            wanted.setdefault((rel, member), found)
        in_test = self._raised_in_test(rec)
        built = _constructed(site)
        for (rel, member), (span, class_name) in sorted(wanted.items()):
            if not in_test:
                weight, kind = W_MEMBER_IN_PROJECT, "W_MEMBER_IN_PROJECT"
            elif member in ("__eq__", "__hash__") and class_name.rsplit(".", 1)[-1] in built:
                # ``== Point(2, 3)`` with no ``Point.__eq__``: identity can never hold.
                weight, kind = W_MISSING_EQ_CERTAIN, "W_MISSING_EQ_CERTAIN"
            else:
                weight, kind = W_MISSING_MEMBER, "W_MISSING_MEMBER"
            fs = self.ranker.function(rel, span)
            fs.mark = span.end
            self.ranker.add_function(
                rel, span, weight * self.share,
                f"the failing {'line' if in_test else 'code'} needs `{class_name}.{member}`, "
                f"which the class does not define (a new member goes after line {span.end})",
                kind=kind)
        return bool(wanted)

    def _named_missing(self, rec: ExceptionRecord, site: _TestSite | None
                       ) -> dict[tuple[str, str], tuple[FunctionSpan, str]]:
        """Missing members named by Python's message (``unhashable type: 'X'``) or by
        how the failing statement iterates a project object."""
        wanted: dict[tuple[str, str], tuple[FunctionSpan, str]] = {}
        for member, class_name in missing_members(rec.message):
            for rel, span in self.ranker.classes_named(class_name):
                if not self.ranker.defines(rel, span, member):
                    wanted.setdefault((rel, member), (span, class_name))
        for rel, span, class_name in self._iterated_by_index(site):
            wanted.setdefault((rel, "__iter__"), (span, class_name))
        return wanted

    def _iterated_by_index(self, site: _TestSite | None
                           ) -> list[tuple[str, FunctionSpan, str]]:
        """Project classes the failing statement iterates (or whose loop it is in) that
        Python iterates by integer index: ``__getitem__`` and no ``__iter__``
        (:mod:`._iteration`; #17, the study split's tinydb-0475b23)."""
        if site is None:
            return []
        tree, line, name = site
        load_imports(self.ranker, tree)
        found: list[tuple[str, FunctionSpan, str]] = []
        function = _function_node(tree, name, line)
        for class_name in iterated_classes(function, statement_at(tree, line), line):
            found += [(rel, span, class_name) for rel, span in
                      self.ranker.classes_named(class_name) if lacks_iter(self.ranker, rel, span)]
        return found

    def _raised_in_test(self, rec: ExceptionRecord) -> bool:
        for f, _, _ in reversed(rec.frames):
            if self.ranker.project_rel(f) is not None:
                return False
            if self._is_test_file(Path(f)):
                return True
        return True

    def _is_test_file(self, path: Path) -> bool:
        try:
            rel = path.resolve().relative_to(self.test_root.resolve())
        except (OSError, ValueError):
            return False
        return is_test_path(rel)

    # -- the test's own frame --------------------------------------------------------

    def test_site(self, rec: ExceptionRecord) -> _TestSite | None:
        """The failing test's own frame: its module's tree, the failing line, its name."""
        test_frames = [(Path(f), n, fname) for f, n, fname in rec.frames
                       if self._is_test_file(Path(f))]
        if not test_frames:
            return None
        tpath, tline, tname = test_frames[-1]
        if tname in ("?", "<module>"):
            tname = re.sub(r"\[.*$", "", rec.nodeid.rsplit("::", 1)[-1])
        tree = self.ranker.test_tree(tpath)
        return (tree, tline, tname) if tree is not None else None

    def test_frame(self, rec: ExceptionRecord, site: _TestSite | None) -> bool:
        """What the test called on the line that failed, and in its body."""
        if site is None:
            return False
        tree, tline, tname = site
        first = rec.nodeid not in self.seen_tests
        self.seen_tests.add(rec.nodeid)
        used = False
        stmt = statement_at(tree, tline)
        targets = called_targets(stmt)
        if isinstance(stmt, ast.With) and rec.message.startswith(_DID_NOT):
            # ``with pytest.raises(E): f()`` failed with DID NOT RAISE: the calls of its
            # body are the code that should have raised (the ``with`` line only opens it).
            targets += [t for sub in stmt.body for t in called_targets(sub)]
        for rel, span in calls_in_project(self.ranker, targets, tree):
            self._checked(rel, span, W_CALLED_ON_FAILING_LINE * self.share,
                          "called on the failing line of a test", "W_CALLED_ON_FAILING_LINE")
            used = True
        function = _function_node(tree, tname, tline)
        # ``l = findall(...)`` then ``assertEqual(l, [])``: the call that computed the
        # checked name is what the assertion checks, one statement up.
        earlier = [t for t in dict.fromkeys(assigned_calls(function, stmt)) if t not in targets]
        for rel, span in calls_in_project(self.ranker, earlier, tree):
            self._checked(rel, span, W_COMPUTED_CHECKED * self.share,
                          "computed a value the failing line checks", "W_COMPUTED_CHECKED")
            used = True
        if first:  # a test with several failures (subtests) calls its body's functions once
            _body_calls(self.ranker, tree, tname, self.share, tline)
        return used


def crash_order(ranker: Ranker,
                crashes: Iterable[tuple[tuple[str, str], tuple[tuple[str, str], ...]]]) -> None:
    """Where the interpreter raised (a ``TypeError`` of ``"%s" % args``, an
    ``IndexError``; not an explicit ``raise``, which is a check) ranks above the project
    functions the exception went up through (#17, the study split's schema-d81871b).

    Those callers are on the failure's path: their spectrum (a thin ``is_valid``
    wrapper only the failing test calls has Ochiai 1.0) and being called on the
    failing line say that they ran, not that they computed anything wrong; the test
    checked no value of theirs, it crashed below them. The crash site gets what it
    lacks to lead them (a margin of 0.001); weights elsewhere are unchanged.
    """
    crashes = list(crashes)
    # A caller that is itself where another failing test crashed (``score`` raised in
    # one test, its helper ``is_spare`` in another) is no mere path: not demoted.
    sites = {crashed for crashed, _ in crashes}
    totals = ranker.function_totals()  # once: only the crash sites' totals change below
    for crashed, all_callers in crashes:
        callers = [key for key in all_callers if key not in sites]
        if crashed not in ranker.functions:
            continue
        lead = max((totals.get(key, 0.0) for key in callers), default=0.0)
        missing = lead - totals.get(crashed, 0.0)
        if missing >= 0:
            ranker.add_function(crashed[0], ranker.functions[crashed].span, missing + 0.001,
                                "raised here, below the project functions that called it "
                                "(they only passed the exception on)", kind="crash_order")
            totals[crashed] = totals.get(crashed, 0.0) + missing + 0.001


def _in_loop(ranker: Ranker, rel: str, line: int) -> bool:
    """``line`` of ``rel`` is a ``while``/``for`` loop's header or inside its body, in the
    same function."""
    tree = ranker.tree(rel)
    if tree is None:
        return False
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    for node in ast.walk(tree):
        if isinstance(node, ast.While | ast.For | ast.AsyncFor) and \
                node.lineno <= line <= (node.end_lineno or node.lineno):
            inner = [sub for sub in ast.walk(node) if isinstance(sub, scopes)
                     and sub.lineno <= line <= (sub.end_lineno or sub.lineno)]
            if not inner:
                return True
    return False


#: Copying and pickling an object use one of these members of its class when it has
#: one (else ``object``'s or a builtin base's defaults, which know nothing of its state).
_PROTOCOLS: dict[tuple[str, str], frozenset[str]] = {
    **{(receiver, "copy"): frozenset({"__copy__", "__reduce__", "__reduce_ex__"})
       for receiver in ("", "copy")},
    **{(receiver, "deepcopy"): frozenset({"__deepcopy__", "__reduce__", "__reduce_ex__"})
       for receiver in ("", "copy")},
    **{(receiver, name): frozenset({"__getstate__", "__setstate__", "__reduce__",
                                    "__reduce_ex__"})
       for receiver in ("", "pickle") for name in ("dumps", "dump")},
}


def _protocols(site: _TestSite | None) -> list[frozenset[str]]:
    """The copy/pickle protocols behind the failing statement's values: called on it or
    where the test assigned a name it reads (``c = copy.copy(d)``; ``assert c == d``)."""
    if site is None:
        return []
    tree, line, name = site
    stmt = statement_at(tree, line)
    targets = called_targets(stmt) + assigned_calls(_function_node(tree, name, line), stmt)
    return list(dict.fromkeys(_PROTOCOLS[t] for t in targets if t in _PROTOCOLS))


def _constructed(site: _TestSite | None) -> set[str]:
    """Names called on the failing line (``Point(2, 3)`` constructs a ``Point``)."""
    if site is None:
        return set()
    tree, line, _ = site
    return set(called_names(statement_at(tree, line)))


def _needed(roles: Iterable[str], members: frozenset[str]) -> list[str]:
    """The members a project object lacks for what the failing statement did with it."""
    needed: list[str] = []
    for role in roles:
        if role.startswith("lacks "):
            needed.append(role.removeprefix("lacks "))
        elif role in ("compared ==", "element ==") and "__eq__" not in members:
            needed.append("__eq__")
        elif role == "hashed":
            needed += ["__eq__", "__hash__"]
        elif role == "compared <" and "__lt__" not in members:
            needed.append("__lt__")
    return [m for m in dict.fromkeys(needed) if m not in members]


def test_body_signal(ranker: Ranker, nodeid: str, test_root: Path, share: float) -> None:
    """A failing test without a usable traceback (a timeout, a kill): what its body calls."""
    file_part, _, rest = nodeid.partition("::")
    if not rest:
        return
    tree = ranker.test_tree(test_root / file_part)
    if tree is not None:
        parts = re.sub(r"\[.*$", "", rest).split("::")
        _body_calls(ranker, tree, parts[-1], share,
                    owner=parts[-2] if len(parts) > 1 else "")


def _body_calls(ranker: Ranker, tree: ast.Module, test_name: str, share: float,
                line: int = 0, owner: str = "") -> None:
    body = _function_node(tree, test_name, line, owner)
    for rel, span in dict.fromkeys(calls_in_project(ranker, called_targets(body), tree)):
        if ranker.delegates(rel, span):
            ranker.add_function(rel, span, 0.0, "called by a failing test (it only delegates:"
                                " no weight)", kind="W_CALLED_IN_TEST")
        else:
            ranker.add_function(rel, span, W_CALLED_IN_TEST * share, "called by a failing test",
                                kind="W_CALLED_IN_TEST")


# -- 3. names -----------------------------------------------------------------------------


def name_signals(ranker: Ranker, task: Task, test_files: Iterable[str]) -> None:
    """The task's files and the names its description mentions."""
    for rel in task.files:
        prel = ranker.project_rel(rel)
        info = ranker.module(prel) if prel else None
        if prel and info is not None:
            for span in info.spans:
                if not span.is_class:
                    ranker.add_function(prel, span, W_TASK_FILE, "in the task's files",
                                        kind="W_TASK_FILE")
    # Modules already scored are parsed; nothing else is scanned (the tree may be big).
    for rel, _line in list(ranker.line_score):
        ranker.module(rel)
    for test_file in test_files:
        tree = ranker.test_tree(test_file)
        if tree is not None:
            load_imports(ranker, tree)
    for name in sorted(_code_words(task.description)):
        for rel, span in ranker.functions_named(name):
            ranker.add_function(rel, span, W_NAMED_IN_TASK, "named in the task",
                                kind="W_NAMED_IN_TASK")


def constant_signal(ranker: Ranker) -> None:
    """Module-level constants (a regex, a table) read by suspicious functions.

    Lines that run at import have no spectrum; a constant is still reached through the
    functions that read it: the module gets half the best such function's score.
    """
    totals = ranker.function_totals()
    best: dict[str, tuple[float, int, str, str]] = {}
    for rel, name, line, read in constant_readers(ranker, totals):
        candidate = (totals[(rel, name)] * W_READS_CONSTANT, line, read, name)
        if candidate[0] > best.get(rel, (0.0, 0, "", ""))[0]:
            best[rel] = candidate
    for rel, (score, line, constant, reader) in sorted(best.items()):
        # A line of ``<module>``, not a bonus of it: module-level code is one location,
        # scored by its best line, so two constants (or a table entry) do not add up.
        ranker.add_line(rel, line, score, f"module-level `{constant}` is read by `{reader}`",
                        kind="W_READS_CONSTANT")


def refused_constant_signal(ranker: Ranker,
                            refused: Iterable[tuple[str, str, int, tuple[str, str]]]) -> None:
    """A module constant that alone computed what a plain guard refused (the
    ``raise`` of ``if match is None`` after ``match = _REGEX.match(text)``) leads the
    raising function: its line of ``<module>`` gets what it lacks, plus a margin of
    0.001 (#17, tuned semver-017e296; STUDY.md class E). The check only tested for
    a match; the constant decided."""
    if W_REFUSED_CONSTANT <= 0:
        return
    totals = ranker.function_totals()
    for rel, name, line, reader in dict.fromkeys(refused):
        fs = ranker.function_at(rel, line)
        if fs.span is not None:
            continue  # not module-level code
        own = ranker.line_score.get((rel, line), 0.0) + fs.bonus
        missing = totals.get(reader, 0.0) - own
        if missing >= 0:
            ranker.add_line(rel, line, (missing + 0.001) * W_REFUSED_CONSTANT,
                            f"module-level `{name}` alone computed what the check in "
                            f"`{reader[1]}` refused", kind="W_REFUSED_CONSTANT")


def constant_readers(ranker: Ranker, totals: Mapping[tuple[str, str], float]
                     ) -> list[tuple[str, str, int, str]]:
    """``(module, reading function, the constant's line, the constant)`` for each
    module-level constant read by a function with a score, in the order
    :func:`constant_signal` weighs them (the first best reader of a module wins)."""
    found: list[tuple[str, str, int, str]] = []
    for (rel, name), total in sorted(totals.items()):
        fs = ranker.functions[(rel, name)]
        if total <= 0 or fs.span is None or fs.span.is_class:
            continue
        constants = module_constants(ranker, rel)
        for read in sorted(_globals_read(ranker, rel, fs.span) & constants.keys()):
            found.append((rel, name, constants[read], read))
    return found


def table_signal(ranker: Ranker, failing: frozenset[str], passing: frozenset[str],
                 test_root: Path) -> None:
    """Entries of module-level tables (a dict literal with string keys) that the failing
    tests select by name: a spectrum of data, not of lines.

    A test *uses* entry ``"github"`` of ``_table_formats`` when its source (or its
    parameter id) has the string ``"github"`` and a function the failing tests ran reads
    the table. The entry's line then gets Ochiai over the tests that use it, like a line
    over the tests that run it: the entry every failing test and no passing test names
    stands out, one that passing tests name too does not.
    """
    tables = _tables_read(ranker)
    if not tables or not failing:
        return
    literals = _test_literals(ranker, failing | passing, test_root)
    total_f, total_p = len(failing), len(passing)
    for (rel, table), entries in sorted(tables.items()):
        for key, line in entries:
            ef = sum(1 for t in failing if key in literals.get(t, ()))
            ep = sum(1 for t in passing if key in literals.get(t, ()))
            if not ef:
                continue
            score = ef / math.sqrt(total_f * (ef + ep))
            if total_p and ef == total_f and ep == total_p:
                score *= EVERY_TEST
            ranker.add_line(rel, line, score * W_TABLE_ENTRY,
                            f"the failing tests select entry {key!r} of `{table}` "
                            f"(ochiai {score:.2f}, ef={ef} ep={ep})", kind="W_TABLE_ENTRY")


def _tables_read(ranker: Ranker) -> dict[tuple[str, str], list[tuple[str, int]]]:
    """Module-level dict literals with string keys that a function the failing tests
    ran reads: ``(path, name) -> [(key, line)]``."""
    ran: dict[tuple[str, str], FunctionSpan] = {}
    for (rel, line), ef in ranker.line_ef.items():
        span = ranker.function_at(rel, line).span
        if ef and span is not None and not span.is_class:
            ran[(rel, span.qualname)] = span
    found: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for (rel, _), span in sorted(ran.items()):
        tables = _module_tables(ranker, rel)
        for name in sorted(_globals_read(ranker, rel, span) & tables.keys()):
            found[(rel, name)] = tables[name]
    return found


def _module_tables(ranker: Ranker, rel: str) -> dict[str, list[tuple[str, int]]]:
    tree = ranker.tree(rel)
    found: dict[str, list[tuple[str, int]]] = {}
    for stmt in tree.body if tree is not None else ():
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target, value = stmt.target, stmt.value
        else:
            continue
        if not isinstance(target, ast.Name) or not isinstance(value, ast.Dict):
            continue
        entries = [(k.value, k.lineno) for k in value.keys
                   if isinstance(k, ast.Constant) and isinstance(k.value, str)
                   and len(k.value) >= 3]
        if entries:
            found[target.id] = entries
    return found


def _test_literals(ranker: Ranker, nodeids: Iterable[str], test_root: Path
                   ) -> dict[str, frozenset[str]]:
    """The strings each test's source holds, and the parts of its parameter id."""
    found: dict[str, frozenset[str]] = {}
    for nodeid in nodeids:
        file_part, _, rest = nodeid.partition("::")
        tree = ranker.test_tree(test_root / file_part)
        params = re.search(r"\[(.*)\]$", rest)
        words = set(params.group(1).split("-")) if params else set()
        parts = re.sub(r"\[.*$", "", rest).split("::")
        node = _function_node(tree, parts[-1], owner=parts[-2] if len(parts) > 1 else "") \
            if tree is not None and rest else None
        if node is not None:
            words |= {c.value for c in ast.walk(node)
                      if isinstance(c, ast.Constant) and isinstance(c.value, str)}
        found[nodeid] = frozenset(words)
    return found


def _globals_read(ranker: Ranker, rel: str, span: FunctionSpan) -> set[str]:
    node = ranker.def_node(rel, span)
    if node is None:
        return set()
    loaded: set[str] = set()
    stored: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            (loaded if isinstance(sub.ctx, ast.Load) else stored).add(sub.id)
    args = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
    return loaded - stored - args


# -- helpers -----------------------------------------------------------------------------


def _error_line(text: str) -> str:
    """The last ``XxxError: message`` line of a failure text."""
    found = _ERROR_LINE.findall(text)
    return found[-1].strip()[:160] if found else ""


def load_imports(ranker: Ranker, tree: ast.Module) -> None:
    for module in _imported_modules(tree):
        rel = module_path(ranker, module)
        if rel is not None:
            ranker.module(rel)


def _function_node(tree: ast.Module, name: str, line: int = 0,
                   owner: str = "") -> ast.AST | None:
    """The test function ``name``: the one around ``line`` when given, else the one in
    class ``owner`` (two classes of a file often have a test of the same name)."""
    methods, top, nested = _test_functions(tree)
    found = [(node, cls) for node, cls in methods if node.name == name]
    found += [(node, "") for node in top if node.name == name]
    for node, cls in found:
        end = node.end_lineno or 0
        if (line and node.lineno <= line <= end) or (not line and owner and cls == owner):
            return node
    if found:
        return found[0][0]
    return next((node for node in nested if node.name == name), None)


_FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@functools.lru_cache(maxsize=64)
def _test_functions(tree: ast.Module) -> tuple[list[tuple[_FunctionNode, str]],
                                              list[_FunctionNode], list[_FunctionNode]]:
    """A file's methods (with their class's name), module-level functions and every
    function, each in ``ast.walk`` order; listed once per tree (the signals look test
    functions up per failing test and per signal)."""
    methods: list[tuple[_FunctionNode, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            methods += [(sub, node.name) for sub in node.body
                        if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef)]
    top = [node for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    nested = [node for node in ast.walk(tree)
              if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    return methods, top, nested


@functools.lru_cache(maxsize=64)
def _imported_modules(tree: ast.Module) -> tuple[str, ...]:
    mods: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            mods.append(node.module)
        elif isinstance(node, ast.Import):
            mods.extend(alias.name for alias in node.names)
    return tuple(mods)


def module_path(ranker: Ranker, module: str) -> str | None:
    """The project file of a dotted module name (``pkg.mod``, under ``src/`` too)."""
    if module not in ranker.module_paths:
        ranker.module_paths[module] = _find_module(ranker, module)
    return ranker.module_paths[module]


def _find_module(ranker: Ranker, module: str) -> str | None:
    base = Path(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py",
                      Path("src") / base.with_suffix(".py"), Path("src") / base / "__init__.py"):
        rel = ranker.project_rel(ranker.root / candidate)
        if rel is not None and (ranker.root / rel).is_file():
            return rel
    return None


def named_in_project(ranker: Ranker, name: str, tree: ast.Module
                     ) -> list[tuple[str, FunctionSpan]]:
    # Make sure the modules the test imports are known before looking names up.
    load_imports(ranker, tree)
    return ranker.functions_named(name)


def calls_in_project(ranker: Ranker, targets: Iterable[tuple[str, str]], tree: ast.Module
                     ) -> list[tuple[str, FunctionSpan]]:
    """The project functions a test's calls (``called_targets``) reach, read from how
    they are called: ``f()`` a module-level function or a class (its ``__init__``);
    ``mod.f()``, ``mod`` a module the test imports, that module's own ``f`` when it has
    one; ``obj.f()`` a method. When that finds nothing, every function named ``f``."""
    load_imports(ranker, tree)
    modules = _module_aliases(ranker, tree)
    found: list[tuple[str, FunctionSpan]] = []
    for receiver, name in targets:
        spans = ranker.functions_named(name)
        top = [(rel, span) for rel, span in spans if _top_level(span)]
        if receiver in modules:
            picked = [(rel, span) for rel, span in top if rel == modules[receiver]] or top
        elif receiver == "":
            picked = top
        else:
            picked = [(rel, span) for rel, span in spans if not _top_level(span)]
        found += picked or spans
    return found


def _top_level(span: FunctionSpan) -> bool:
    """A module-level function or class (a class stands for its ``__init__``)."""
    parts = span.qualname.split(".")
    return len(parts) == 1 or (len(parts) == 2 and parts[1] == "__init__")


def _module_aliases(ranker: Ranker, tree: ast.Module) -> dict[str, str]:
    """Names the test binds to project modules (``import pkg.mod as m``, ``from pkg
    import mod``) and the modules' paths."""
    aliases: dict[str, str] = {}
    for alias, module in _import_bindings(tree):
        rel = module_path(ranker, module)
        if rel is not None:
            aliases[alias] = rel
    return aliases


@functools.lru_cache(maxsize=64)
def _import_bindings(tree: ast.Module) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            pairs += [(a.asname or a.name, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            pairs += [(a.asname or a.name, f"{node.module}.{a.name}") for a in node.names]
    return tuple(pairs)


def _code_words(text: str) -> set[str]:
    words: set[str] = set()
    for m in _CODE_WORD.finditer(text):
        for group in m.groups():
            if group and len(group) > 2:
                words.add(group)
    return words


# -- 4. the failing tests' names -----------------------------------------------------------

_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def name_tokens(name: str) -> set[str]:
    """The words of an identifier: ``_parse_number`` and ``ParseNumber`` give
    ``{"parse", "number"}``; a plural ``s`` is dropped, words of two letters or fewer
    (``at``, ``is``) and ``test`` are left out."""
    words: set[str] = set()
    for part in re.split(r"[_\W]+", name):
        for word in _CAMEL.findall(part):
            word = word.lower()
            if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
                word = word[:-1]
            if len(word) > 2 and word != "test":
                words.add(word)
    return words


def _own_words(qualname: str) -> set[str]:
    """A function's words; a special method (``__call__``) is named by its class."""
    *outer, name = qualname.split(".")
    words = name_tokens(name)
    if name.startswith("__") and outer:
        words |= name_tokens(outer[-1])
    return words


def test_name_signal(ranker: Ranker, failing: Iterable[str], share: float,
                     test_root: Path) -> None:
    """Test-to-code name matching: a function the failing test ran whose own name's
    words appear in the test's name (``test_replace_table_keeps_name`` and
    ``Container._replace_at``), weighted by how rare each word is among the names of
    the functions the failing tests ran (a word every function has says nothing)."""
    totals = ranker.function_totals()
    ran = sorted(key for key, total in totals.items()
                 if total > 0 and (fs := ranker.functions[key]).span is not None
                 and not fs.span.is_class)
    own = {key: _own_words(key[1]) for key in ran}
    counts: dict[str, int] = {}
    for words in own.values():
        for word in words:
            counts[word] = counts.get(word, 0) + 1
    idf = {w: math.log(1 + len(own) / c) for w, c in counts.items()}
    for nodeid in sorted(failing):
        file_part, *parts = re.sub(r"\[.*$", "", nodeid).split("::")
        # The test file's words name the module under test, not a function of it
        # (``test_parse.py::TestParse::test_pipe``: ``parse`` says nothing; nor do
        # ``path`` and ``spec`` of ``test_pathspec.py::PathSpecTest``).
        words = set().union(set(), *(name_tokens(p) for p in parts))
        stem_words = name_tokens(Path(file_part).stem) if _names_a_module(
            ranker, file_part) else set()
        words = {w for w in words if not any(w in s for s in stem_words)}
        tree = ranker.test_tree(test_root / file_part)
        owner = parts[-2] if len(parts) > 1 else ""
        body = _function_node(tree, parts[-1], owner=owner) if tree is not None and parts \
            else None
        # A test is named after what it calls itself (``test_parse_line`` calls
        # ``parse_line``): those words are no news; the others may name the code
        # underneath (``test_replace_keeps_name`` and ``Container._replace_at``).
        for called in called_names(body):
            words -= name_tokens(called)
        for key in ran:
            matched = own[key] & words
            if not matched:
                continue
            weight = sum(idf[w] for w in matched) / sum(idf[w] for w in own[key])
            fs = ranker.functions[key]
            ranker.add_function(key[0], fs.span, W_TEST_NAME * share * weight,
                                f"named like the failing test ({', '.join(sorted(matched))})",
                                kind="W_TEST_NAME")


def _names_a_module(ranker: Ranker, test_file: str) -> bool:
    """The test file is named after a project module (``test_parser.py`` and
    ``parser.py``, or a package's directory), not after a function
    (``test_is_interactive.py`` tests ``find_dotenv``'s ``_is_interactive``)."""
    stem = Path(test_file).stem
    target = stem.removeprefix("test_").removesuffix("_test")
    if not target or target == stem:
        return True
    for rel in ranker.modules:
        path = Path(rel)
        if (path.parent.name if path.stem == "__init__" else path.stem) == target:
            return True
    return False


def test_module_signal(ranker: Ranker, failing: Iterable[str], share: float) -> None:
    """The module a failing test's file is named after (``tests/test_parser.py`` tests
    ``pkg/parser.py``): the functions of it that the test ran."""
    totals = ranker.function_totals()
    for nodeid in sorted(failing):
        stem = Path(nodeid.split("::", 1)[0]).stem
        target = stem.removeprefix("test_").removesuffix("_test")
        if not target or target == stem:
            continue
        for (rel, name), total in sorted(totals.items()):
            fs = ranker.functions[(rel, name)]
            path = Path(rel)
            module = path.parent.name if path.stem == "__init__" else path.stem
            if total > 0 and module == target and fs.span is not None:
                ranker.add_function(rel, fs.span, W_TEST_MODULE * share,
                                    "in the module the failing test's file is named after",
                                    kind="W_TEST_MODULE")
