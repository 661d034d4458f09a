"""The value-spectrum signal: where a bad value first appeared (issue #17, seventh round).

Line spectra cannot separate an entry point from the worker below it when the same
tests run both, nor the processors of a pipeline that every test runs. What the
functions *took and returned* might: the coverage run records, for every test, coarse
classes of each project function's arguments and return value (:mod:`._valuerec`).
Here, as in Xie and Notkin's value spectra and CBI's "returns" predicates:

- a function's **normal** classes are those it took and returned in the passing tests
  (only functions that passing tests ran are judged: of the others nothing is known);
  classes defined inside functions (a test's own ``class X``) count as one;
- in a failing test, a call **returned an anomaly** when it returned a class the
  function never returned in a passing test, from arguments of a kind passing tests
  gave it (the same classes, together): the infection starts there, or below. The
  function is the **origin** when none of the project functions it called returned an
  anomaly there: its callers return a bad value only because it did (a callee handed
  abnormal arguments does not excuse its caller: the caller made them);
- a call **received a novel input** when its arguments' classes were never given to
  the function together in a passing test; the deepest such function (none of the
  functions it called received one) is where the new kind of input stops being
  passed on, and is handled (or not).

Per failing test, each origin gets ``W_VALUE_ORIGIN`` x share, each deepest receiver of
a novel input ``W_VALUE_INPUT`` x share, as function bonuses (``share`` = 1 / failing
tests).

The eighth round adds CBI's scalar-pair predicates (the return against the first
argument, the receiver's attributes before against after; :mod:`._valuerec`), scored as
Liblit et al. score them: for a function ``f`` and a predicate ``P`` of it,
``Failure(P) = F(P) / (F(P) + S(P))`` over the tests where ``P`` was true,
``Context(P) = F(f) / (F(f) + S(f))`` over the tests that ran ``f``, and
``Increase(P) = Failure(P) - Context(P)``: how much more likely failure is when ``P`` is
true than when ``f`` merely runs (a function whose predicates a passing test's record
cut at :data:`~._valuerec.PER_FUNCTION_PREDICATES` is not judged: its normal is not
known). In each failing test a function's strongest predicate
of positive Increase (true there) is a **finding**, unless it held only in calls given
arguments of classes no passing test gave the function together (:data:`NORMAL_INPUTS`:
the new input explains it); unless :data:`EXCUSE_CALLERS` is off, a function is left out when a
project function it called in that test has a finding (the deepest function where the
state or the return went wrong). Each gets
``W_VALUE_PREDICATE`` x Increase x share.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field

from pytest_agent.localize._coverage import SpectrumRun
from pytest_agent.localize._functions import FunctionSpan
from pytest_agent.localize._ranker import Ranker
from pytest_agent.localize._valuerec import GIVEN
from pytest_agent.localize._valuerec import PER_FUNCTION_PREDICATES
from pytest_agent.localize._valuerec import SAME
from pytest_agent.localize._valuerec import ValueSpectrum
from pytest_agent.localize._valuerec import split_class

__all__ = [
    "EXCUSE_CALLERS", "NORMAL_INPUTS", "PREDICATE_KINDS", "W_VALUE_INPUT", "W_VALUE_ORIGIN",
    "W_VALUE_PREDICATE", "Finding", "PredicateFinding", "predicate_findings", "value_findings",
    "value_signal",
]

#: The bonus of the function where an anomalous return first appeared, and of the
#: deepest function that received a novel input, x the share of failing tests (see
#: docs/localize.md, "Value spectra": chosen by measurement).
W_VALUE_ORIGIN = 0.0
W_VALUE_INPUT = 0.0
#: The bonus of the deepest function whose scalar-pair predicate is true in a failing
#: test, x its Increase x the share of failing tests (docs/localize.md, "Eighth round:
#: values").
W_VALUE_PREDICATE = 0.0
#: A function whose callee in the same failing test has a finding is left out.
EXCUSE_CALLERS = True
#: A predicate that held only in calls given novel arguments (classes no passing test
#: gave the function together) is no finding: the new input explains the new state or
#: return (a test's own configuration, handed to ``__init__``, is no fault).
NORMAL_INPUTS = True
#: The kinds of predicates judged (measured variants): ``ret`` the return against the
#: first argument, ``attr`` one attribute of the receiver, ``delta`` the call's whole
#: change of the receiver.
PREDICATE_KINDS = frozenset({"ret", "attr", "delta"})
#: How a failing call's arguments must match the passing tests' to be normal
#: (measured variants): ``"together"`` the same classes in one call, ``"each"`` each
#: position's class seen in some call.
ARGUMENTS = "together"
#: The two kinds of :class:`Finding`.
RETURNED, RECEIVED = "returned", "received"

_LOCAL = "<local class>"

_Split = tuple[tuple[str, ...], str]


@dataclass
class _Normal:
    """What each function took and returned in the passing tests."""

    returns: dict[int, set[str]] = field(default_factory=dict)
    arguments: dict[int, set[tuple[str, ...]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """A function where a failing test's value left what passing tests showed."""

    function: int
    #: :data:`RETURNED` (the origin of an anomalous return) or :data:`RECEIVED` (the
    #: deepest receiver of a novel input).
    kind: str
    #: The class text (``args>return``) of the call.
    cls: str


def _local(cls: str) -> str:
    if "<locals>" not in cls:
        return cls
    return _LOCAL + SAME if cls.endswith(SAME) else _LOCAL


def _coarse(split: _Split) -> _Split:
    """Classes defined inside functions are one class: each test defines its own, and
    a failing test's would always be new."""
    args, ret = split
    return tuple(map(_local, args)), _local(ret)


def _normal(values: ValueSpectrum, passing: Iterable[str], split: list[_Split]) -> _Normal:
    normal = _Normal()
    for nodeid in passing:
        for function, cls, _ in values.observations(nodeid):
            args, ret = split[cls]
            normal.returns.setdefault(function, set()).add(ret)
            normal.arguments.setdefault(function, set()).add(args)
    return normal


def _normal_arguments(args: tuple[str, ...], seen: set[tuple[str, ...]]) -> bool:
    if ARGUMENTS == "each":
        return all(any(len(s) > i and s[i] == a for s in seen) for i, a in enumerate(args))
    return args in seen


def _test_findings(values: ValueSpectrum, nodeid: str, normal: _Normal,
                   split: list[_Split]) -> list[Finding]:
    """The findings of one failing test (see the module's docstring)."""
    anomalous: dict[int, str] = {}
    novel: dict[int, str] = {}
    excused: set[int] = set()
    passed_on: set[int] = set()
    for function, cls, caller in sorted(values.observations(nodeid)):
        rets = normal.returns.get(function)
        if rets is None:
            continue  # no passing test ran it
        args, ret = split[cls]
        if not _normal_arguments(args, normal.arguments[function]):
            novel.setdefault(function, values.classes[cls])
            passed_on.add(caller)
        elif ret not in rets:
            anomalous.setdefault(function, values.classes[cls])
            excused.add(caller)
    return ([Finding(f, RETURNED, c) for f, c in sorted(anomalous.items()) if f not in excused]
            + [Finding(f, RECEIVED, c) for f, c in sorted(novel.items()) if f not in passed_on])


def value_findings(spectrum: SpectrumRun, failing: Iterable[str]
                   ) -> dict[int, list[tuple[str, Finding]]]:
    """Per function number of ``spectrum.values``: the failing tests in which it is an
    origin or a deepest receiver, with the finding."""
    values = spectrum.values
    found: dict[int, list[tuple[str, Finding]]] = {}
    if values is None:
        return found
    disturbed = set(spectrum.disturbed)
    passing = sorted(n for n in spectrum.passing if n in values.tests and n not in disturbed)
    if not passing:
        return found
    split = [_coarse(split_class(text)) for text in values.classes]
    normal = _normal(values, passing, split)
    for nodeid in sorted(failing):
        if nodeid in values.tests and nodeid not in disturbed:
            for finding in _test_findings(values, nodeid, normal, split):
                found.setdefault(finding.function, []).append((nodeid, finding))
    return found


@dataclass(frozen=True)
class PredicateFinding:
    """A function's predicate true in a failing test, with its Increase."""

    function: int
    #: The predicate's text (``ret<arg``, ``.name:old>new``, ...).
    predicate: str
    increase: float


@dataclass(frozen=True)
class _Texts:
    """The recorded predicate texts ``a,b|P`` split: per number the plain predicate's
    number (in :attr:`plain`) and the argument classes of the calls where it held."""

    plain: tuple[str, ...]
    number: tuple[int, ...]
    given: tuple[tuple[str, ...], ...]

    @staticmethod
    def of(values: ValueSpectrum) -> _Texts:
        plain: dict[str, int] = {}
        number, given = [], []
        for text in values.predicate_texts:
            args, _, predicate = text.partition(GIVEN)
            number.append(plain.setdefault(predicate, len(plain)))
            given.append(tuple(map(_local, args.split(","))) if args else ())
        return _Texts(tuple(plain), tuple(number), tuple(given))


def _increases(values: ValueSpectrum, texts: _Texts, passing: list[str], failing: list[str]
               ) -> dict[tuple[int, int], float]:
    """Increase(P) of every (function, plain predicate) true in a failing test."""
    ran_failing: dict[int, int] = {}
    true_failing: dict[tuple[int, int], int] = {}
    for nodeid in failing:
        for function in {f for f, _, _ in values.observations(nodeid)}:
            ran_failing[function] = ran_failing.get(function, 0) + 1
        for key in {(f, texts.number[p]) for f, p, _ in values.true_predicates(nodeid)}:
            true_failing[key] = true_failing.get(key, 0) + 1
    ran_passing: dict[int, int] = {}
    true_passing: dict[tuple[int, int], int] = dict.fromkeys(true_failing, 0)
    #: Functions whose predicates some passing test's record cut at the bound.
    saturated: set[int] = set()
    for nodeid in passing:
        for function in {f for f, _, _ in values.observations(nodeid)}:
            ran_passing[function] = ran_passing.get(function, 0) + 1
        recorded = {(f, p) for f, p, _ in values.true_predicates(nodeid)}
        per_function: dict[int, int] = {}
        for function, _ in recorded:
            per_function[function] = per_function.get(function, 0) + 1
        saturated.update(f for f, n in per_function.items() if n >= PER_FUNCTION_PREDICATES)
        for key in {(f, texts.number[p]) for f, p in recorded}:
            if key in true_passing:
                true_passing[key] += 1
    increases: dict[tuple[int, int], float] = {}
    for (function, predicate), f_true in true_failing.items():
        f_ran, s_ran = ran_failing.get(function, 0), ran_passing.get(function, 0)
        if not s_ran or function in saturated:
            # No passing test ran it, or one kept no more of its predicates: what is
            # normal for it is not known.
            continue
        failure = f_true / (f_true + true_passing[(function, predicate)])
        context = f_ran / max(f_ran + s_ran, 1)
        if failure > context:
            increases[(function, predicate)] = failure - context
    return increases


def _kind(text: str) -> str:
    return "attr" if text.startswith(".") else "delta" if text.startswith("{") else "ret"


def predicate_findings(spectrum: SpectrumRun, failing: Iterable[str]
                       ) -> dict[int, list[tuple[str, PredicateFinding]]]:
    """Per function number of ``spectrum.values``: the failing tests in which one of its
    predicates of positive Increase was true (its strongest), callers of another such
    function left out (:data:`EXCUSE_CALLERS`)."""
    values = spectrum.values
    found: dict[int, list[tuple[str, PredicateFinding]]] = {}
    if values is None or values.predicates is None:
        return found
    disturbed = set(spectrum.disturbed)
    passing = sorted(n for n in spectrum.passing if n in values.tests and n not in disturbed)
    failed = sorted(n for n in failing if n in values.tests and n not in disturbed)
    if not passing or not failed:
        return found
    texts = _Texts.of(values)
    kinds = [_kind(text) in PREDICATE_KINDS for text in texts.plain]
    increases = {k: v for k, v in _increases(values, texts, passing, failed).items()
                 if kinds[k[1]]}
    normal = _normal(values, passing, [_coarse(split_class(t)) for t in values.classes])
    for nodeid in failed:
        best: dict[int, tuple[float, int]] = {}
        excused: set[int] = set()
        for function, number, caller in sorted(values.true_predicates(nodeid)):
            increase = increases.get((function, texts.number[number]))
            if increase is None or (NORMAL_INPUTS and not _normal_arguments(
                    texts.given[number], normal.arguments.get(function, set()))):
                continue
            excused.add(caller)
            if increase > best.get(function, (0.0, -1))[0]:
                best[function] = (increase, texts.number[number])
        for function, (increase, predicate) in sorted(best.items()):
            if not (EXCUSE_CALLERS and function in excused):
                found.setdefault(function, []).append((nodeid, PredicateFinding(
                    function, texts.plain[predicate], increase)))
    return found


def _why(finding: Finding, tests: int) -> str:
    args, ret = split_class(finding.cls)
    if finding.kind == RETURNED:
        return (f"value spectrum: returned {ret} from ({', '.join(args)}) in {tests} failing"
                " test(s), a class it never returned in a passing test from such arguments,"
                " and no function it called did")
    return (f"value spectrum: was given ({', '.join(args)}) in {tests} failing test(s),"
            " classes no passing test gave it, and passed them to no function it called")


def value_signal(ranker: Ranker, spectrum: SpectrumRun | None,
                 failing: frozenset[str]) -> bool:
    """Add the findings' bonuses (see the module's docstring); True if any was added."""
    weights = {RETURNED: W_VALUE_ORIGIN, RECEIVED: W_VALUE_INPUT}
    if spectrum is None or spectrum.values is None or not failing \
            or not (any(weights.values()) or W_VALUE_PREDICATE):
        return False
    share = 1.0 / len(failing)
    added = False
    values = spectrum.values
    if any(weights.values()):
        for function, hits in sorted(value_findings(spectrum, failing).items()):
            place = _place(ranker, values, function)
            if place is None:
                continue
            for kind, weight in weights.items():
                mine = [f for _, f in hits if f.kind == kind]
                if mine and weight:
                    ranker.add_function(*place, weight * share * len(mine),
                                        _why(mine[0], len(mine)), f"W_VALUE_{kind.upper()}")
                    added = True
    if W_VALUE_PREDICATE:
        for function, found in sorted(predicate_findings(spectrum, failing).items()):
            place = _place(ranker, values, function)
            if place is None:
                continue
            top = max((f for _, f in found), key=lambda f: f.increase)
            ranker.add_function(
                *place, W_VALUE_PREDICATE * share * sum(f.increase for _, f in found),
                f"value predicate: {top.predicate} in {len(found)} failing test(s),"
                f" Increase {top.increase:.2f} over the tests that ran it",
                "W_VALUE_PREDICATE")
            added = True
    return added


def _place(ranker: Ranker, values: ValueSpectrum, function: int) -> tuple[str, FunctionSpan] | None:
    """The project file and function span of ``values``' function number."""
    filename, first_line, _ = values.functions[function]
    return ranker.code_function(filename, first_line)
