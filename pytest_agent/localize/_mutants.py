"""Mutation-based localization (Metallaxis-FL): ask the code which statement the failure needs.

After the ranking, the first :data:`TOP_FUNCTIONS` functions get a bounded, deterministic
set of mutants (the offline engine's operators, a few per statement the failing tests
ran); each mutant runs the failing tests and the passing tests that ran those
functions, in the offline engine's validators (forks of the task's warm test server,
or of one started for the purpose; fresh workers in private copies where forking is
unavailable: the worktree is never written). Per mutant, ``f`` counts the failing
tests whose outcome or failure message changed, ``p`` the passing tests it broke;
its score is ``f / sqrt(F * (f + p))`` (Metallaxis), a function's the best of its
mutants'. Only the first :data:`TOP_FUNCTIONS` are re-ordered, by their score plus
``localize_mutation_weight`` x that. See docs/localize.md, "Mutation-based signal".
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import os
import re
import threading
import time
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING
from typing import final

from pytest_agent._outcomes import FAILING
from pytest_agent._types import Location
from pytest_agent._types import Task
from pytest_agent._types import TestRun
from pytest_agent._types import Workspace
from pytest_agent.localize._coverage import SpectrumRun
from pytest_agent.localize._functions import read_module
from pytest_agent.localize._paths import is_test_path
from pytest_agent.localize._ranker import Ranking
from pytest_agent.localize._signals import failing_tests
from pytest_agent.settings import AgentSettings

if TYPE_CHECKING:
    from pytest_agent.engines.offline._pool import RunResult
    from pytest_agent.engines.offline._pool import WorkerPool
    from pytest_agent.engines.offline._source import Edit
    from pytest_agent.engines.offline._source import SourceFile

__all__ = [
    "MutantOutcome", "MutationRun", "Target", "combine", "mutation_signal", "plan_mutants",
    "run_mutants",
]

#: Functions of the ranking that are mutated (and the only ones re-ordered).
TOP_FUNCTIONS = 6
#: Mutants per function and per statement, at most.
PER_FUNCTION = 16
PER_LINE = 4
#: Passing tests run with each mutant, per function and in all.
PASSING_PER_FUNCTION = 10
MAX_PASSING = 40
#: The mutation operators used, preferred first: the classic ones of mutation testing
#: (relational, arithmetic, logical, constant, negation, statement deletion), which
#: change what a statement computes without adding code.
OPERATORS = ("compare", "arith", "augassign", "boolop", "negate", "off-by-one", "constant",
             "drop-one", "bool-constant", "drop-conjunct", "call", "attribute", "delete")
#: What a failing test that only fails differently counts, against one that passes
#: (see :meth:`MutantOutcome.metallaxis`).
CHANGED_WEIGHT = 0.5
#: Flags of every mutant session (as the offline engine's: no cache, no traceback
#: text beyond the failure's own lines, which are compared).
SESSION_ARGS = ("-q", "--tb=no", "-p", "no:cacheprovider", "-o", "addopts=")
#: Seconds a worker may add the first time it runs the argument list (it parses the
#: config and imports the session's dependencies once).
STARTUP_ALLOWANCE = 3.0
#: A mutant is not started with less than this many seconds of the budget left.
MIN_RUN = 0.5
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


@final
@dataclass(frozen=True)
class Target:
    """A function to mutate: its ranked location and the lines the failing tests ran."""

    path: str
    function: str
    lines: tuple[int, ...]


@final
@dataclass(frozen=True)
class Mutant:
    path: str
    function: str
    line: int
    #: ``"`<` -> `<=`"``: what the operator changed.
    what: str
    #: The module's text with the mutation.
    text: str


@final
@dataclass(frozen=True)
class MutantOutcome:
    """What one mutant did to the tests (``None`` fields: its session ran no test)."""

    path: str
    function: str
    line: int
    what: str
    #: Failing tests that passed with the mutant.
    fixed: tuple[str, ...] = ()
    #: Failing tests that failed differently (another message, an error, a hang).
    changed: tuple[str, ...] = ()
    #: Passing tests that failed with the mutant.
    broke: tuple[str, ...] = ()
    #: Its session was cut (budget or timeout) or crashed: no evidence either way.
    lost: bool = False

    def metallaxis(self, failing: int, changed_weight: float = 1.0) -> float:
        """``f / sqrt(F * (f + p))``; a failing test that only failed differently counts
        ``changed_weight`` in the numerator (1: Metallaxis as published; below 1 puts
        mutants that make failing tests pass first, as MUSE does)."""
        f = len(self.fixed) + len(self.changed)
        if self.lost or f == 0 or failing == 0:
            return 0.0
        credit = len(self.fixed) + changed_weight * len(self.changed)
        return credit / math.sqrt(failing * (f + len(self.broke)))


@final
@dataclass(frozen=True)
class MutationRun:
    """The mutants of one localization and what they did."""

    #: ``(path, qualname)`` of the functions mutated, in rank order.
    functions: tuple[tuple[str, str], ...]
    failing: tuple[str, ...]
    passing: tuple[str, ...]
    outcomes: tuple[MutantOutcome, ...] = ()
    #: Mutants planned; those not run when the budget ended are not in ``outcomes``.
    planned: int = 0
    duration: float = 0.0
    #: Why the signal gave nothing, or ``""``.
    problem: str = ""

    def scores(self) -> dict[tuple[str, str], tuple[float, MutantOutcome]]:
        """Per function: its best Metallaxis score and the mutant that gave it (ties: the
        one that made more failing tests pass, then the first planned)."""
        best: dict[tuple[str, str], tuple[float, MutantOutcome]] = {}
        failing = len(self.failing)
        for outcome in self.outcomes:
            score = outcome.metallaxis(failing, CHANGED_WEIGHT)
            key = (outcome.path, outcome.function)
            held = best.get(key)
            if score > 0 and (held is None or (score, len(outcome.fixed))
                              > (held[0], len(held[1].fixed))):
                best[key] = (score, outcome)
        return best


# -- the entry point -------------------------------------------------------------------


def mutation_signal(ranking: Ranking, task: Task, workspace: Workspace,
                    spectrum: SpectrumRun | None, baseline: TestRun | None,
                    settings: AgentSettings) -> Ranking:
    """Re-order the first :data:`TOP_FUNCTIONS` of ``ranking`` by what their mutants do
    to the tests; ``ranking`` itself when ``localize_mutation_seconds`` is 0 or nothing
    could run."""
    if settings.localize_mutation_seconds <= 0 or not ranking.functions:
        return ranking
    failing = _failing(task, spectrum, baseline)
    targets = _targets(workspace.root, ranking.functions[:TOP_FUNCTIONS], spectrum, failing)
    if not failing or not targets:
        return ranking
    passing = _passing(workspace.root, targets, spectrum)
    run = run_mutants(workspace.root, workspace.test_root, targets, sorted(failing), passing,
                      settings)
    return combine(ranking, run, settings.localize_mutation_weight)


def _failing(task: Task, spectrum: SpectrumRun | None, baseline: TestRun | None
             ) -> frozenset[str]:
    return frozenset(n for n in failing_tests(task.accept_tests, spectrum, baseline)
                     if "::" in n)


def _targets(root: Path, functions: Iterable[Location], spectrum: SpectrumRun | None,
             failing: frozenset[str]) -> list[Target]:
    """The ranked functions that can be mutated, each with the lines of its own body the
    failing tests ran (all of them without coverage)."""
    targets = []
    for loc in functions:
        if not loc.path.endswith(".py") or is_test_path(Path(loc.path)):
            continue
        info = read_module(root / loc.path)
        if info is None or info.syntax_error is not None:
            continue
        span = next((s for s in info.spans if s.qualname == loc.function
                     and s.start == loc.start_line and not s.is_class), None)
        if span is None:
            continue
        own = [n for n in range(span.def_line + 1, span.end + 1)
               if n not in info.import_lines and info.enclosing(n) == span]
        ran = _ran_by(root / loc.path, failing, spectrum)
        lines = tuple(n for n in own if ran is None or n in ran)
        if lines:
            targets.append(Target(loc.path, loc.function, lines))
    return targets


def _ran_by(path: Path, tests: Iterable[str], spectrum: SpectrumRun | None
            ) -> frozenset[int] | None:
    """Lines of ``path`` that ``tests`` ran; ``None`` when the run has no coverage."""
    if spectrum is None or not spectrum.has_coverage:
        return None
    per_test = spectrum.coverage.get(str(path.resolve()), {})
    return frozenset(n for t in tests for n in per_test.get(t, ()))


def _passing(root: Path, targets: Sequence[Target], spectrum: SpectrumRun | None) -> list[str]:
    """Passing tests that ran the targets' lines: up to :data:`PASSING_PER_FUNCTION` per
    function (in node id order), :data:`MAX_PASSING` in all."""
    if spectrum is None or not spectrum.has_coverage:
        return []
    passing = spectrum.passing
    chosen: dict[str, None] = {}
    for target in targets:
        per_test = spectrum.coverage.get(str((root / target.path).resolve()), {})
        lines = set(target.lines)
        ran = sorted(t for t, seen in per_test.items()
                     if t in passing and "::" in t and lines.intersection(seen))
        chosen.update(dict.fromkeys(ran[:PASSING_PER_FUNCTION]))
    return list(chosen)[:MAX_PASSING]


# -- the mutants -----------------------------------------------------------------------


def plan_mutants(root: Path, targets: Sequence[Target]) -> list[Mutant]:
    """Up to :data:`PER_LINE` mutants per line (different operators first) and
    :data:`PER_FUNCTION` per function, each of which compiles; interleaved across the
    functions (first mutant of each function, then the second, ...) so that a budget
    that ends early leaves every function some evidence."""
    per_function = [_function_mutants(root, t) for t in targets]
    order: list[Mutant] = []
    for i in range(max((len(m) for m in per_function), default=0)):
        order.extend(m[i] for m in per_function if i < len(m))
    return order


def _function_mutants(root: Path, target: Target) -> list[Mutant]:
    from pytest_agent.engines.offline._operators import span_mutations
    from pytest_agent.engines.offline._source import SourceFile

    try:
        src = SourceFile(target.path, (root / target.path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return []
    by_line: dict[int, list[Edit]] = {}
    for _, edit in span_mutations(src, [(n, n) for n in target.lines]):
        if edit.op in OPERATORS:
            by_line.setdefault(edit.line, []).append(edit)
    # One per line first (every statement gets a mutant), then a second one per line.
    chosen: list[Mutant] = []
    picks = [_pick(edits) for _, edits in sorted(by_line.items())]
    for rank in range(PER_LINE):
        for edits in picks:
            if rank < len(edits) and len(chosen) < PER_FUNCTION:
                mutant = _mutant(src, target, edits[rank])
                if mutant is not None:
                    chosen.append(mutant)
    return chosen


def _pick(edits: list[Edit]) -> list[Edit]:
    """A line's edits in operator preference, a different operator before a second edit
    of the same one (the generator's order within an operator)."""
    seen: dict[str, int] = {}
    keyed = []
    for index, edit in enumerate(edits):
        nth = seen.get(edit.op, 0)
        seen[edit.op] = nth + 1
        keyed.append(((nth, OPERATORS.index(edit.op), index), edit))
    return [e for _, e in sorted(keyed, key=lambda k: k[0])][:PER_LINE]


def _mutant(src: SourceFile, target: Target, edit: Edit) -> Mutant | None:
    from pytest_agent.engines.offline._source import apply_edits

    text = apply_edits(src.text, [edit])
    try:
        compile(text, target.path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    old = edit.old or src.text[edit.start:edit.end]
    what = edit.what if edit.op in ("delete", "negate") or not old.strip() \
        else f"`{old.strip()}` -> `{edit.new.strip()}`"
    return Mutant(target.path, target.function, edit.line, what, text)


# -- running them ----------------------------------------------------------------------


def run_mutants(root: Path, test_root: Path, targets: Sequence[Target], failing: Sequence[str],
                passing: Sequence[str], settings: AgentSettings) -> MutationRun:
    """Run the targets' mutants within ``localize_mutation_seconds`` (pool start included).

    Never writes into ``root``: validators see a mutant through an import hook, or
    write it into their private copy.
    """
    started = time.monotonic()
    deadline = started + settings.localize_mutation_seconds
    functions = tuple((t.path, t.function) for t in targets)
    run = MutationRun(functions, tuple(failing), tuple(passing))
    mutants = plan_mutants(root, targets)
    if not mutants:
        return replace(run, problem="no mutant compiles", duration=time.monotonic() - started)
    try:
        found = _Runner(root, test_root, mutants, run, settings, deadline).run()
    except (OSError, RuntimeError) as exc:  # the validators could not start
        found = replace(run, problem=f"validators: {exc}")
    return replace(found, planned=len(mutants), duration=time.monotonic() - started)


def _message(text: str) -> str:
    """A failure text compared across mutants: addresses of objects vary run to run."""
    return _ADDRESS.sub("0x?", text).strip()


_Seen = dict[str, tuple[str, str]]


def _seen(result: RunResult) -> _Seen:
    """Per test: its worst outcome and the failure text of that phase."""
    seen: _Seen = {}
    for record in result.records:
        name, outcome = str(record["nodeid"]), str(record["outcome"])
        held = seen.get(name)
        if held is None or (held[0] not in FAILING and outcome in FAILING):
            seen[name] = (outcome, _message(str(record.get("longrepr", ""))))
    return seen


class _Runner:
    def __init__(self, root: Path, test_root: Path, mutants: Sequence[Mutant],
                 run: MutationRun, settings: AgentSettings, deadline: float) -> None:
        self.root = root
        self.test_root = test_root
        self.mutants = list(mutants)
        self.run_ = run
        self.settings = settings
        self.deadline = deadline
        self.args = [*SESSION_ARGS, *run.failing, *run.passing]
        self.timeout = settings.candidate_timeout
        self.base: _Seen = {}
        self.failing: tuple[str, ...] = ()
        self.passing: tuple[str, ...] = ()
        self._lock = threading.Lock()
        self._next = 0
        self._results: dict[int, MutantOutcome] = {}

    def run(self) -> MutationRun:
        from pytest_agent._timeout import TestLimits
        from pytest_agent.engines.offline._pool import open_pool

        size = min(len(self.mutants), self.settings.offline_workers or os.cpu_count() or 1)
        files = list(dict.fromkeys(t.split("::", 1)[0] for t in self.run_.failing))
        limits = TestLimits.from_settings(self.settings)
        with open_pool(self.root, self.test_root, size,
                       mutable=sorted({m.path for m in self.mutants}), limits=limits,
                       test_server=self.settings.test_server, tests=files) as pool:
            problem = self._baseline(pool)
            if problem:
                return replace(self.run_, problem=problem)
            with cf.ThreadPoolExecutor(max_workers=pool.size) as ex:
                for future in [ex.submit(self._serve, pool) for _ in range(pool.size)]:
                    future.result()
        outcomes = tuple(self._results[i] for i in sorted(self._results))
        return replace(self.run_, failing=self.failing, passing=self.passing, outcomes=outcomes)

    def _baseline(self, pool: WorkerPool) -> str:
        """The tests on the original code, in the validators: what each mutant is compared
        with (outcomes and messages as these sessions render them)."""
        remaining = self.deadline - time.monotonic()
        if remaining <= MIN_RUN:
            return "the budget ended while the validators started"
        pool.warm(self.args, min(remaining, self.timeout + STARTUP_ALLOWANCE))
        base = pool.run({}, self.args, min(self.deadline - time.monotonic(),
                                           self.timeout + STARTUP_ALLOWANCE))
        self.base = _seen(base)
        self.failing = tuple(t for t in self.run_.failing
                             if self.base.get(t, ("", ""))[0] in FAILING)
        self.passing = tuple(t for t in self.run_.passing
                             if self.base.get(t, ("", ""))[0] == "passed")
        if not self.failing:
            return ("the failing tests did not fail in the validators"
                    + (" (cut by the budget)" if base.timed_out else ""))
        # As the offline engine: a mutant runs about as long as the original code;
        # a loop it makes is cut by the per-test limit, within half of that.
        seconds = sum(base.durations.values()) or base.duration
        self.timeout = min(self.settings.candidate_timeout, max(1.0, 5 * seconds + 0.5))
        pool.limits = pool.limits.within(self.timeout / 2)
        return ""

    def _take(self) -> tuple[int, Mutant, float] | None:
        with self._lock:
            remaining = self.deadline - time.monotonic()
            if self._next >= len(self.mutants) or remaining < MIN_RUN:
                return None
            index, self._next = self._next, self._next + 1
        return index, self.mutants[index], min(self.timeout, remaining)

    def _serve(self, pool: WorkerPool) -> None:
        while (taken := self._take()) is not None:
            index, mutant, timeout = taken
            try:
                result = pool.run({mutant.path: mutant.text}, self.args, timeout)
            except (OSError, RuntimeError, ValueError):
                result = None  # a validator that cannot restart loses this mutant
            self._results[index] = self._outcome(mutant, result)

    def _outcome(self, mutant: Mutant, result: RunResult | None) -> MutantOutcome:
        """Compare one mutant's session with the base. A session cut at its timeout or
        crashed says nothing test by test (which test it was in is unknown): lost. A
        test stopped by its per-test limit is a test that failed differently."""
        outcome = MutantOutcome(mutant.path, mutant.function, mutant.line, mutant.what)
        if result is None or result.timed_out or result.crashed:
            return replace(outcome, lost=True)
        seen = _seen(result)
        broken_import = any("::" not in n and o in FAILING for n, (o, _) in seen.items())
        fixed, changed, broke = [], [], []
        for test in self.failing:
            now = seen.get(test)
            if now is None:
                if broken_import:  # the mutant broke a module the test file imports
                    changed.append(test)
            elif now[0] in ("passed", "skipped", "xfailed"):
                fixed.append(test)
            elif now != self.base[test]:
                changed.append(test)
        for test in self.passing:
            now = seen.get(test)
            if (now is None and broken_import) or (now is not None and now[0] in FAILING):
                broke.append(test)
        return replace(outcome, fixed=tuple(fixed), changed=tuple(changed), broke=tuple(broke))


# -- the re-ranking --------------------------------------------------------------------


def combine(ranking: Ranking, run: MutationRun, weight: float) -> Ranking:
    """Add ``weight`` x each mutated function's Metallaxis score to its score and re-order
    the first :data:`TOP_FUNCTIONS` functions only (the rest keep their places)."""
    if run.problem or not run.outcomes:
        return ranking
    scores = run.scores()
    head = list(ranking.functions[:TOP_FUNCTIONS])
    tail = ranking.functions[TOP_FUNCTIONS:]
    rescored = []
    for position, loc in enumerate(head):
        found = scores.get((loc.path, loc.function))
        if found is not None:
            score, mutant = found
            loc = replace(loc, score=round(loc.score + weight * score, 6),
                          evidence=(*loc.evidence, _evidence(score, mutant, len(run.failing))),
                          line=mutant.line)
        rescored.append((-loc.score, position, loc))
    rescored.sort(key=lambda r: (r[0], r[1]))
    functions = tuple(loc for _, _, loc in rescored) + tuple(tail)
    return Ranking(functions, ranking.lines, ranking.method + "+mutation")


def _evidence(score: float, mutant: MutantOutcome, failing: int) -> str:
    def names(tests: Sequence[str]) -> str:
        shown = ", ".join(t.rsplit("::", 1)[-1] for t in tests[:2])
        return shown + (f" and {len(tests) - 2} more" if len(tests) > 2 else "")

    did = []
    if mutant.fixed:
        did.append(f"made {names(mutant.fixed)} pass")
    if mutant.changed:
        did.append(f"changed how {names(mutant.changed)} failed")
    broke = f", broke {names(mutant.broke)}" if mutant.broke else ", broke no passing test"
    return (f"mutation {score:.2f}: mutant {mutant.what} at line {mutant.line} "
            f"{' and '.join(did)}{broke} (of {failing} failing)")

