"""The localization run: the accept tests' files under coverage, one context per test."""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from pathlib import Path
from typing import Any
from typing import final

from pytest_agent import _tempdirs
from pytest_agent._collector import COVERAGE_BRANCH_ENV as BRANCH_ENV
from pytest_agent._collector import COVERAGE_PROFILED_ENV as PROFILED_ENV
from pytest_agent._collector import read_records
from pytest_agent._procs import run_process
from pytest_agent._types import TestOutcome
from pytest_agent._types import TestRun
from pytest_agent.localize._attribution import StatementCalls
from pytest_agent.localize._attribution import statement_calls
from pytest_agent.localize._covplugin import LIMIT_ENV
from pytest_agent.localize._covplugin import OUT_ENV
from pytest_agent.localize._covplugin import SOURCE_ENV
from pytest_agent.localize._covplugin import selects
from pytest_agent.localize._origin import TextOrigin
from pytest_agent.localize._origin import origins_from_record
from pytest_agent.localize._valuerec import ValueSpectrum
from pytest_agent.localize._valuerec import value_spectrum
from pytest_agent.testrun import inner_pytest_env

__all__ = [
    "ExceptionRecord", "ProjectObject", "SpectrumRun", "StatementCalls", "run_spectrum",
    "without_false_hangs",
]

_INNER_ARGS: tuple[str, ...] = (
    "-p", "pytest_agent.localize._covplugin",
    "-p", "pytest_agent._timeout",
    "-p", "no:cacheprovider",
    "-p", "no:randomly",
    "-p", "no:cov",
)

_FAILED = frozenset({"failed", "error", "xpassed"})


@final
@dataclass(frozen=True)
class ProjectObject:
    """The project class of a value on a failing test's failing statement."""

    #: Absolute filename of the class's module, and its qualname.
    file: str
    qualname: str
    #: Names the project classes of its MRO define (``__eq__``, methods, attributes).
    members: frozenset[str]
    #: ``"operand"`` (a value of the statement), ``"element"`` (inside a container
    #: operand), ``"lacks <name>"`` (the object of an ``AttributeError``).
    roles: tuple[str, ...]


@final
@dataclass(frozen=True)
class ExceptionRecord:
    """One failure's exception: its frames, innermost last."""

    nodeid: str
    type: str
    message: str
    #: ``(absolute filename, line, function name)``, outermost first.
    frames: tuple[tuple[str, int, str], ...]
    #: ``(filename, line)`` of a ``SyntaxError``.
    syntax: tuple[str, int] | None = None
    hung: bool = False
    #: Value flow: ``(filename, first line, qualname, depth)`` of the deepest project
    #: function that returned (this very object) an operand of the failing statement.
    producers: tuple[tuple[str, int, str, int], ...] = ()
    #: The project classes of the failing statement's values.
    objects: tuple[ProjectObject, ...] = ()
    #: The functions that first made the wrong text of the failing comparison (._origin).
    origins: tuple[TextOrigin, ...] = ()


@final
@dataclass(frozen=True)
class SpectrumRun:
    """What the localization run saw."""

    #: ``"passed"`` or ``"failed"`` per test node id that reported.
    outcomes: Mapping[str, str]
    #: Failure text (pytest's longrepr) per failing node id or failing collector.
    failures: Mapping[str, str]
    exceptions: tuple[ExceptionRecord, ...]
    #: Absolute filename -> test node id -> lines that test ran. Empty without coverage.
    #: Written per test as it ends: a run cut short keeps the tests that finished.
    coverage: Mapping[str, Mapping[str, frozenset[int]]]
    #: Collectors (test files) that failed to collect.
    collect_errors: tuple[str, ...]
    output: str
    duration: float
    timed_out: bool
    has_coverage: bool
    warnings: tuple[str, ...] = field(default=())
    #: Per failing test: which of its statements entered which project function.
    attribution: tuple[StatementCalls, ...] = field(default=())
    #: The run ended (cut at its ceiling, or crashed) before any of the accept tests it
    #: collected had finished (without accept tests named: cut before any failing test
    #: finished). Its spectrum holds none of the task's failures, only tests that ran
    #: before them (bidict-7ca069d: one unrelated failing test, every function it ran
    #: at Ochiai 1.0): the ranking uses the baseline's tracebacks instead.
    cut_before_accept: bool = False
    #: Tests stopped as hung here that finished in the baseline run: the per-test
    #: limit, not the fault, stopped them (see :func:`without_false_hangs`). Left out.
    disturbed: tuple[str, ...] = field(default=())
    #: Passing tests of other test files added to the spectrum (:mod:`._widen`), and the
    #: seconds their run took.
    extra_tests: int = 0
    extra_seconds: float = 0.0
    #: ``time.monotonic()`` (system-wide) when the run was started, and when each test's
    #: coverage was written: what a shorter budget would have kept (the benchmark's).
    started_at: float = 0.0
    finished_at: Mapping[str, float] = field(default_factory=dict)
    #: Absolute filename -> test node id -> the arcs (``(from line, to line)``, coverage.py's:
    #: a negative number is a code object's entry or exit) that test took; empty when the
    #: run measured lines only (:mod:`._arcs` reads them).
    arcs: Mapping[str, Mapping[str, frozenset[tuple[int, int]]]] = field(default_factory=dict)
    #: The value classes each test's project functions took and returned
    #: (:mod:`._valuerec`); None: not recorded (and in runs cached before it was).
    values: ValueSpectrum | None = None

    @property
    def failing(self) -> frozenset[str]:
        return frozenset(n for n, o in self.outcomes.items() if o == "failed")

    @property
    def passing(self) -> frozenset[str]:
        return frozenset(n for n, o in self.outcomes.items() if o == "passed")


def run_spectrum(
    test_root: Path,
    source_root: Path,
    targets: Sequence[str],
    *,
    timeout: float,
    per_test_limit: float,
    python: str = sys.executable,
    profiled: Sequence[str] = (),
    arcs: bool = False,
) -> SpectrumRun:
    """Run ``targets`` (node ids or test files) under coverage in a subprocess.

    The task's baseline run already recorded this coverage when it ran the same tests
    (see :func:`pytest_agent.testrun.spectrum_records`); otherwise one run, forked from
    the task's warm test server when there is one.
    """
    from pytest_agent.testrun import spectrum_records

    started = time.monotonic()
    if python == sys.executable:
        records, proc = spectrum_records(test_root, source_root, targets, timeout=timeout,
                                         per_test_limit=per_test_limit, profiled=profiled,
                                         arcs=arcs)
        return replace(_parse(records, proc.output, proc.duration, proc.timed_out),
                       started_at=started)
    with tempfile.TemporaryDirectory(prefix=_tempdirs.prefix("localize")) as tmp:
        out = Path(tmp) / "localize.jsonl"
        argv = [python, "-m", "pytest", *_INNER_ARGS, "-q", "--no-header", "-rN",
                "-o", "addopts=", *targets]
        env = inner_pytest_env(test_root, {
            OUT_ENV: str(out),
            SOURCE_ENV: str(source_root),
            LIMIT_ENV: f"{per_test_limit:.3f}",
            **({PROFILED_ENV: "\n".join(profiled)} if profiled else {}),
            **({BRANCH_ENV: "1"} if arcs else {}),
        })
        proc = run_process(argv, cwd=test_root, timeout=timeout, env=env, contain=True)
        records = read_records(out)
    return replace(_parse(records, proc.output, proc.duration, proc.timed_out),
                   started_at=started)


def _parse(records: list[dict[str, Any]], output: str, duration: float,
           timed_out: bool) -> SpectrumRun:
    outcomes: dict[str, str] = {}
    failures: dict[str, str] = {}
    exceptions: list[ExceptionRecord] = []
    coverage: dict[str, dict[str, frozenset[int]]] = {}
    arcs: dict[str, dict[str, frozenset[tuple[int, int]]]] = {}
    collect_errors: list[str] = []
    warnings: list[str] = []
    attribution: list[StatementCalls] = []
    finished: set[str] = set()
    finished_at: dict[str, float] = {}
    accept: set[str] | None = None
    for rec in records:
        kind = rec.get("kind")
        if kind == "report":
            _report(rec, outcomes, failures)
        elif kind == "collect-error":
            nodeid = str(rec["nodeid"])
            collect_errors.append(nodeid)
            failures[nodeid or "<collection>"] = str(rec.get("longrepr") or "")
        elif kind == "exception":
            exceptions.append(_exception(rec))
        elif kind == "coverage-test":
            nodeid = str(rec["nodeid"])
            finished.add(nodeid)
            finished_at[nodeid] = float(rec.get("at", 0.0))
            for filename, lines in rec["lines"].items():
                coverage.setdefault(str(filename), {})[nodeid] = frozenset(map(int, lines))
            for filename, taken in rec.get("arcs", {}).items():
                arcs.setdefault(str(filename), {})[nodeid] = frozenset(
                    (int(a), int(b)) for a, b in taken)
        elif kind == "attribution":
            attribution.append(statement_calls(rec))
        elif kind == "warning":
            warnings.append(str(rec.get("text", "")))
        elif kind == "accept-collected":
            accept = set(map(str, rec["nodeids"]))
    if timed_out:
        # Cut short: a test that reported passing but was killed before its coverage
        # was written would count as a passing test that ran nothing.
        outcomes = {n: o for n, o in outcomes.items() if o == "failed" or n in finished}
    cut = _cut_before_accept(accept, outcomes, finished, timed_out)
    return SpectrumRun(
        outcomes=outcomes, failures=failures, exceptions=tuple(exceptions),
        coverage=coverage, collect_errors=tuple(collect_errors), output=output,
        duration=duration, timed_out=timed_out, has_coverage=bool(finished),
        warnings=tuple(warnings), attribution=tuple(attribution), cut_before_accept=cut,
        finished_at=finished_at, arcs=arcs, values=value_spectrum(records),
    )


def _report(rec: dict[str, Any], outcomes: dict[str, str], failures: dict[str, str]) -> None:
    """One test phase's report: a failing phase fails the test; its call phase's
    pass (or xfail) makes it passing unless another phase failed."""
    nodeid = str(rec["nodeid"])
    if rec["outcome"] in _FAILED:
        outcomes[nodeid] = "failed"
        text = str(rec.get("longrepr") or "")
        failures[nodeid] = (failures.get(nodeid, "") + "\n" + text).strip()
    elif (rec["when"] == "call" and outcomes.get(nodeid) != "failed"
          and rec["outcome"] in ("passed", "xfailed")):
        outcomes[nodeid] = "passed"


def _cut_before_accept(accept: set[str] | None, outcomes: Mapping[str, str],
                       finished: set[str], timed_out: bool) -> bool:
    if accept is not None:
        return bool(accept) and not accept & finished
    # No accept tests named (or cut before the collection ended).
    return timed_out and not {n for n, o in outcomes.items() if o == "failed"} & finished


def without_false_hangs(run: SpectrumRun, baseline: TestRun | None) -> SpectrumRun:
    """``run`` without what it saw of the tests it stopped as hung that finished in
    ``baseline``.

    The coverage run is several times slower than the baseline (coverage, the
    recorders, another load on the machine); a test it stopped at its per-test limit
    that the baseline saw finish did not hang: its traceback is where the alarm struck
    (lark's Earley bugs: inside grammar construction, long before the faulty parser
    ran) and its coverage stops there. Both are left out; the test still fails, with
    the baseline's failure text (whose traceback the ranking then reads), and is named
    in ``disturbed``. A hang the baseline also showed is kept.
    """
    if baseline is None:
        return run
    finished = frozenset(n for n, o in baseline.outcomes.items()
                         if o is not TestOutcome.MISSING and n not in baseline.hung)
    false = frozenset(r.nodeid for r in run.exceptions
                      if r.hung and selects(r.nodeid, finished))
    if not false:
        return run
    failures = dict(run.failures)
    for nodeid in false:
        failures[nodeid] = next((text for n, text in sorted(baseline.failures.items())
                                 if selects(nodeid, frozenset([n]))), "")
    return replace(
        run,
        failures=failures,
        exceptions=tuple(r for r in run.exceptions if r.nodeid not in false),
        coverage={f: {n: lines for n, lines in per.items() if n not in false}
                  for f, per in run.coverage.items()},
        arcs={f: {n: taken for n, taken in per.items() if n not in false}
              for f, per in run.arcs.items()},
        attribution=tuple(a for a in run.attribution if a.nodeid not in false),
        disturbed=tuple(sorted(false)),
    )


def _exception(rec: dict[str, Any]) -> ExceptionRecord:
    syntax = rec.get("syntax")
    return ExceptionRecord(
        nodeid=str(rec["nodeid"]),
        type=str(rec.get("type", "")),
        message=str(rec.get("message", "")),
        frames=tuple((str(f), int(n), str(name)) for f, n, name in rec.get("frames", [])),
        syntax=(str(syntax[0]), int(syntax[1])) if syntax else None,
        hung=bool(rec.get("hung")),
        producers=tuple((str(f), int(n), str(q), int(d))
                        for f, n, q, d in rec.get("producers", [])),
        objects=tuple(ProjectObject(file=str(o["file"]), qualname=str(o["qualname"]),
                                    members=frozenset(map(str, o.get("members", []))),
                                    roles=tuple(map(str, o.get("roles", []))))
                      for o in rec.get("classes", [])),
        origins=origins_from_record(rec),
    )
