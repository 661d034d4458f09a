"""The search loop: rank candidates, validate them in parallel, pick the winner.

Validation of one candidate is one pytest session forked from a warm validator (see
``_pool``: a fork of the task's test server, or a fresh worker in a copy) on: the
accept tests that fail at the baseline (first, so a wrong candidate is usually
rejected by its first test), the other accept tests, then the other tests of the
accept tests' files that pass at the baseline (a repair should not break them),
stopping at the first failure (``-x``). A candidate that
passes the accept tests but breaks one of those other tests is kept as a fallback
("plausible") and returned only when no candidate passes everything.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import sys
import time
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Final
from typing import final

from pytest_agent._timeout import TestLimits
from pytest_agent._types import REVIEW_MARK
from pytest_agent._types import Context
from pytest_agent._types import Location
from pytest_agent._types import Proposal
from pytest_agent._types import Task
from pytest_agent._types import TestOutcome
from pytest_agent._types import TestRun
from pytest_agent._types import Workspace
from pytest_agent.engines.offline._evidence import Evidence
from pytest_agent.engines.offline._hang import hang_frames
from pytest_agent.engines.offline._hang import hang_locations
from pytest_agent.engines.offline._order import NOT_FOUND
from pytest_agent.engines.offline._order import ordered_args
from pytest_agent.engines.offline._pool import RunResult
from pytest_agent.engines.offline._pool import WorkerPool
from pytest_agent.engines.offline._pool import open_pool
from pytest_agent.engines.offline._search import Candidate
from pytest_agent.engines.offline._search import Suspiciousness
from pytest_agent.engines.offline._search import candidates
from pytest_agent.engines.offline._search import edit_score
from pytest_agent.engines.offline._search import pairs
from pytest_agent.engines.offline._search import rank_singles
from pytest_agent.engines.offline._search import same_edits
from pytest_agent.engines.offline._search import with_copies
from pytest_agent.engines.offline._source import Edit
from pytest_agent.engines.offline._source import SourceFile
from pytest_agent.engines.offline._testfiles import is_test_module
from pytest_agent.engines.offline._testfiles import python_files
from pytest_agent.regression import regression_set
from pytest_agent.settings import AgentSettings

__all__ = ["Known", "SearchReport", "propose", "search"]

#: Flags of every validation session: no cache written into the tree, no traceback
#: formatting (half the cost of a small failing session, and never read).
SESSION_ARGS = ("-q", "--tb=no", "-p", "no:cacheprovider", "-o", "addopts=")
#: Seconds a worker may add to a candidate's timeout the first time it runs an argument
#: list (it parses the config and imports the session's dependencies once).
STARTUP_ALLOWANCE = 3.0
#: Singles whose pairs are tried once the singles are exhausted.
PAIR_POOL = 30


@final
@dataclass(frozen=True)
class SearchReport:
    """What a search did; ``winner`` is ``None`` when nothing passed."""

    winner: Candidate | None
    plausible_only: bool
    validated: int
    #: Single edits generated, plus the groups of them drawn by the search (systematic
    #: copies of one change, pairs): every validated candidate is one of these.
    generated: int
    duration: float
    validation_time: float
    stopped_by: str
    #: Candidates whose session was cut by its timeout (a loop the edit made or kept).
    hung: int = 0
    #: The candidate that made the most failing accept tests pass, and how many of them.
    best_partial: Candidate | None = None
    best_partial_fixed: int = 0
    #: Failing accept tests the search had to fix.
    failing: int = 0
    #: What validated the candidates (see ``WorkerPool.validators``).
    validators: str = ""
    #: Candidates that passed the accept tests and their files' tests but broke another
    #: test of the project (see ``_Search._breaks_others``): the first one, and how many.
    rejected: Candidate | None = None
    rejected_count: int = 0
    #: The tests the first rejected candidate broke (node ids).
    rejected_broke: tuple[str, ...] = ()
    #: Where the time went (seconds): generating and ranking the single edits; the
    #: regression set, warming and the sanity run before the first candidate; the
    #: other test files' runs for winners. With ``run_times`` (each validated
    #: candidate's session) they profile a search (benchmarks/offline_repair/profile.py).
    rank_time: float = 0.0
    setup_time: float = 0.0
    others_time: float = 0.0
    run_times: tuple[float, ...] = ()
    #: The set-up's parts (seconds): opening the pool, the regression run, warming, sanity.
    setup_parts: Mapping[str, float] = field(default_factory=dict)
    #: Tests whose outcome on the original code differs between the validators and the
    #: harness's baseline, and what the search did about it (see ``_Search._same_world``).
    world: tuple[str, ...] = ()


def _outcome(result: RunResult, test: str) -> str:
    """``test``'s outcome in ``result``: "failed" if any test it names did not pass,
    "passed" if all of them (at least one) passed, else "" (none ran)."""
    found = [o for n, o in result.outcomes.items() if _belongs(n, [test])]
    if not found:
        return ""
    return "passed" if all(o in _PASSING for o in found) else "failed"


_PASSING = frozenset({"passed", "skipped", "xfailed"})


def _fitting(regression: Sequence[str], accept: Sequence[str], check: RunResult | None,
             budget: float) -> list[str]:
    """The tests of ``regression`` that fit in ``budget`` seconds of a session beside the
    ``accept`` tests, by their durations in ``check`` (the session's overhead counted):
    the tests of the accept tests' classes (or modules) first, then the fastest."""
    if check is None:
        return []
    took = dict(check.durations)
    left = budget - (check.duration - sum(took.values()))
    left -= sum(d for n, d in took.items() if any(_belongs(n, [a]) for a in accept))
    homes = {a.rsplit("::", 1)[0] for a in accept if "::" in a}
    order = sorted(regression, key=lambda t: (t.rsplit("::", 1)[0] not in homes,
                                              took.get(t, budget)))
    kept: list[str] = []
    for test in order:
        left -= took.get(test, budget)
        if left < 0:
            break
        kept.append(test)
    return kept


def _some(tests: Sequence[str]) -> str:
    """The first test of ``tests``, and how many more."""
    more = f" (and {len(tests) - 1} more)" if len(tests) > 1 else ""
    return f"{tests[0]}{more}"


def _ran_tests(result: RunResult) -> bool:
    """Whether a session reached any test (not only collectors: a module that does not
    import is an outcome of its file)."""
    return any("::" in nodeid for nodeid in result.outcomes)


def _belongs(nodeid: str, accept: Sequence[str]) -> bool:
    return any(nodeid == a or nodeid.startswith((a + "::", a + "[")) for a in accept)


def _locations(
    task: Task, context: Context, workspace: Workspace, settings: AgentSettings,
    problems: list[str],
) -> tuple[tuple[Location, ...], tuple[Location, ...]]:
    """Ranked functions and lines: the context's when it has line scores, else our own
    localization (a localize hook of a plugin may give functions only); a hung frame
    comes first. A localization failure is recorded in ``problems``."""
    functions, lines = context.locations, context.lines
    if not (functions and lines):
        from pytest_agent.localize import localize_detailed

        try:
            found = localize_detailed(task, workspace, context.baseline, settings)
        except Exception as exc:  # noqa: BLE001 - fall back to the context's ranking
            problems.append(f"localization failed ({type(exc).__name__}: {exc}); "
                            "searched the context's ranked functions")
        else:
            if found.functions:
                functions, lines = found.functions, found.lines
            elif not functions:
                problems.append(f"localization ranked no function ({found.method})")
    frames = hang_frames(context.baseline, workspace.root)
    if frames:
        top = max((f.score for f in functions), default=1.0)
        hung_fns, hung_lines = hang_locations(frames, workspace.root, top)
        functions = (*hung_fns, *functions)
        lines = (*hung_lines, *lines)
    return tuple(functions), tuple(lines)


def propose(
    task: Task, context: Context, workspace: Workspace, settings: AgentSettings
) -> Proposal:
    """Search for a repair; a proposal with an empty diff and a ``stop_reason`` saying
    what the search did and why it stopped when nothing passes."""
    started = time.monotonic()
    problems: list[str] = []
    functions, lines = _locations(task, context, workspace, settings, problems)
    exclude = set(task.accept_test_files) | {
        str((workspace.test_root / f).relative_to(workspace.root).as_posix())
        for f in task.accept_test_files
        if (workspace.test_root / f).resolve().is_relative_to(workspace.root.resolve())
    }
    susp = Suspiciousness.from_locations(functions, lines, exclude)
    failing = list(context.baseline.failing) if context.baseline is not None else []
    unrunnable = _not_collected(task, context.baseline)
    if unrunnable:
        reason = f"offline search not started: {unrunnable}"
        return Proposal(diff="", engine="offline", stop_reason=reason)
    try:
        report = search(
            workspace.root, workspace.test_root, susp, task.accept_tests, failing,
            previous_diffs=context.previous_diffs, settings=settings,
            deadline=started + settings.offline_time_budget,
            known=Known.of(task, context.baseline),
            evidence=_evidence(context.baseline, task.accept_tests),
        )
    except (OSError, RuntimeError) as exc:
        return Proposal(diff="", engine="offline", stop_reason=(
            f"the offline engine could not validate candidates ({type(exc).__name__}: {exc}); "
            "its validators are forks of the task's test server, or, where it cannot fork, "
            f"`{sys.executable} -m pytest_agent.engines.offline._worker`"))
    if report.winner is None:
        if not susp.spans:
            problems.insert(0, _why_no_function(context))
        return _failure(report, susp, [*problems, *report.world])
    return Proposal(diff=report.winner.diff, notes=_winner_notes(report), engine="offline")


def _evidence(baseline: TestRun | None, accept: Sequence[str]) -> Evidence:
    """The symptoms of the failing accept tests at the base (what kind of edit fixes them)."""
    if baseline is None:
        return Evidence()
    failing = [n for n in baseline.failing if _belongs(n, accept)]
    return Evidence.from_failures(baseline.failures, failing)


#: Failure texts of tests that could not be collected (no edit of a function fixes those).
_COLLECT_MARKERS = ("ImportError while importing test module", "ERROR collecting",
                    "found no collectors", "not found:", "SyntaxError")


def _last_line(text: str) -> str:
    return next((ln.strip() for ln in reversed(text.splitlines()) if ln.strip()), "")[:160]


def _not_collected(task: Task, baseline: TestRun | None) -> str:
    """Why the failing accept tests cannot run at all (a missing test id, a test module
    that does not import), or ``""``: a search cannot fix what is never collected."""
    if baseline is None or baseline.timed_out:
        return ""
    failing = [n for n in baseline.failing if _belongs(n, task.accept_tests)]
    # One cause per distinct error: a module that does not import fails all its tests.
    causes: dict[str, list[str]] = {}
    for nodeid in failing:
        outcome = baseline.outcomes.get(nodeid)
        text = baseline.failures.get(nodeid, "")
        if outcome is TestOutcome.MISSING:
            causes.setdefault("was not collected (wrong test id?)", []).append(nodeid)
        elif outcome is TestOutcome.ERROR and any(m in text for m in _COLLECT_MARKERS):
            causes.setdefault(f"could not be collected: {_last_line(text)}", []).append(nodeid)
        else:
            return ""
    parts = [f"{ids[0]}{f' (and {len(ids) - 1} more)' if len(ids) > 1 else ''} {why}"
             for why, ids in causes.items()]
    return "the accept tests could not run: " + "; ".join(parts) if parts else ""


def _why_no_function(context: Context) -> str:
    """Why localization found nothing to edit: usually, the tests did not run."""
    baseline = context.baseline
    if baseline is None:
        return "no baseline run of the accept tests"
    errors = [n for n, o in baseline.outcomes.items()
              if o in (TestOutcome.ERROR, TestOutcome.MISSING)]
    if baseline.timed_out:
        return f"the accept tests' run timed out after {baseline.duration:.0f}s"
    if errors:
        text = baseline.failures.get(errors[0], "") or baseline.output
        return f"the accept tests could not run ({errors[0]}: {_last_line(text)})"
    return "no code outside the tests ran in the failing tests"


def _winner_notes(report: SearchReport) -> str:
    w = report.winner
    assert w is not None
    rate = report.validated / report.validation_time if report.validation_time > 0 else 0.0
    risks = [e.risky for e in w.edits if e.risky]
    if report.plausible_only:
        risks.append("other tests of the accept test files fail with it")
    head = f"{REVIEW_MARK} ({'; '.join(risks)}).\n" if risks else ""
    return (
        f"{head}Offline search: {w.description}.\n"
        f"Validated {report.validated} of {report.generated} candidate(s) in "
        f"{report.duration:.1f}s ({rate:.0f}/s; validators: {report.validators}); "
        "the accept tests pass"
        + (" but other tests of their files fail with it."
           if report.plausible_only else " and the other tests of their files still pass.")
        + "".join(f"\nNote: {w}." for w in report.world)
    )


def _stop_why(report: SearchReport) -> str:
    if report.stopped_by == "candidate budget":
        return "the candidate budget (offline_max_candidates) was used up"
    if report.stopped_by == "time budget":
        return "the time budget (offline_time_budget) ran out"
    if report.validated and report.hung == report.validated:
        return "every candidate hung (cut by its timeout)"
    if report.stopped_by == "candidates exhausted":
        return "the repair space was exhausted"
    return report.stopped_by


def _failure(report: SearchReport, susp: Suspiciousness, problems: Sequence[str]) -> Proposal:
    """An empty proposal whose one-line ``stop_reason`` says what was searched and why it
    stopped; the best partial candidate, with its diff, goes into the notes."""
    if not susp.spans:
        why = "no function to edit: localization ranked none outside the tests"
    else:
        why = _stop_why(report)
    hung = f", {report.hung} hung" if report.hung and report.hung != report.validated else ""
    rejected = ""
    if report.rejected is not None:
        broke = report.rejected_broke
        rejected = (f"; {report.rejected_count} candidate(s) passed the accept tests and their "
                    f"files but broke other tests of the project ({len(broke)} test(s), first "
                    f"{broke[0] if broke else '?'})")
    reason = (f"offline search found no passing change: {report.validated} candidate(s) "
              f"validated of {report.generated} generated{hung} in {report.duration:.1f}s; "
              f"stopped because {why}{rejected}"
              + "".join(f"; {p}" for p in problems))
    notes = ""
    best = report.best_partial
    if report.rejected is not None:
        notes = (f"Rejected candidate ({report.rejected.description}): the accept tests and "
                 f"their files pass with it, these other tests that passed at the base do "
                 f"not: {', '.join(report.rejected_broke[:5])}.\n```diff\n"
                 f"{report.rejected.diff.strip()}\n```\n")
    if best is not None:
        notes += (f"Best partial candidate ({best.description}): "
                  f"{report.best_partial_fixed} of {report.failing} failing accept test(s) "
                  f"pass with it.\n```diff\n{best.diff.strip()}\n```")
    return Proposal(diff="", notes=notes, engine="offline", stop_reason=reason)


def _read_sources(root: Path, susp: Suspiciousness) -> dict[str, SourceFile]:
    sources: dict[str, SourceFile] = {}
    for path, _, _, _ in susp.spans:
        if path in sources:
            continue
        try:
            sources[path] = SourceFile(path, (root / path).read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
            continue
    return sources


@final
@dataclass(frozen=True)
class Known:
    """What the harness's baseline run already told about the tests."""

    #: Tests that passed at the base besides the accept tests (the harness's regression
    #: set), or ``None`` when unknown: the engine then runs the accept tests' files.
    regression: tuple[str, ...] | None = None
    #: Seconds per test that finished at the base (hung tests left out).
    durations: Mapping[str, float] = field(default_factory=dict)
    #: A test hung (or the run timed out) at the base.
    hang: bool = False
    #: The plan keeps the regression guard (not ``regression: none``): a winner is then
    #: also checked against the other test files of the accept tests' directories.
    guard: bool = True

    @classmethod
    def of(cls, task: Task, baseline: TestRun | None) -> Known:
        if baseline is None:
            return cls()
        regression = None
        if task.regression is not None:  # resolved by the harness from this baseline
            regression = regression_set(baseline, task)
        # A hung test's duration is its limit, not what a repaired test takes.
        finished = {n: d for n, d in baseline.durations.items() if n not in baseline.hung}
        return cls(regression, finished, baseline.timed_out or bool(baseline.hung),
                   guard=task.regression != ())


def search(
    root: Path,
    test_root: Path,
    susp: Suspiciousness,
    accept: Sequence[str],
    failing: Sequence[str],
    *,
    previous_diffs: Sequence[str],
    settings: AgentSettings,
    deadline: float,
    mem_headroom: int = 2 << 30,
    known: Known | None = None,
    evidence: Evidence | None = None,
) -> SearchReport:
    """Validate ranked candidates until one passes, or the budget runs out.

    :param evidence: The failing tests' symptoms: they reorder the edits (see ``_evidence``).
    """
    started = time.monotonic()
    sources = _read_sources(root, susp)
    singles = rank_singles(sources, susp, evidence)
    rank_time = time.monotonic() - started
    if not singles or not accept:
        return SearchReport(None, False, 0, len(singles), time.monotonic() - started, 0.0,
                            "no candidate could be generated at the ranked lines"
                            if accept else "the task has no accept tests")
    size = settings.offline_workers or os.cpu_count() or 1
    known = known or Known()
    finished = [d for n, d in known.durations.items() if n not in failing]
    limits = TestLimits.from_settings(settings, slowest=max(finished, default=0.0))
    files = list(dict.fromkeys(a.split("::", 1)[0] for a in accept))
    opening = time.monotonic()
    with open_pool(root, test_root, size, mutable=sorted(sources), mem_headroom=mem_headroom,
                   limits=limits, test_server=settings.test_server, tests=files) as pool:
        found = _Search(pool, sources, singles, susp, accept, failing, previous_diffs,
                        settings, deadline, started, known, evidence)
        found.rank_time = rank_time
        found.setup_parts["pool"] = time.monotonic() - opening
        return found.run()


_CRASHED = "the pytest session ended without a result: crashed or killed"
#: Pairs of safe singles tried before the risky singles (the rest come after them).
EARLY_PAIRS = 100


class _Search:
    def __init__(
        self, pool: WorkerPool, sources: dict[str, SourceFile], singles: list[Edit],
        susp: Suspiciousness, accept: Sequence[str], failing: Sequence[str],
        previous_diffs: Sequence[str], settings: AgentSettings, deadline: float,
        started: float, known: Known, evidence: Evidence | None = None,
    ) -> None:
        self.known = known
        self.evidence = evidence
        self.pool = pool
        self.sources = sources
        self.singles = singles
        self.susp = susp
        self.accept = list(accept)
        self.failing = [f for f in failing if _belongs(f, accept)] or list(accept)
        self.previous_diffs = previous_diffs
        self.settings = settings
        self.deadline = deadline
        self.started = started
        self.validated = 0
        self.validation_time = 0.0
        self.hung = 0
        self.seen: set[str] = set()
        self.progress: list[tuple[Edit, float]] = []
        self.best_partial: tuple[int, Candidate] | None = None
        self.args: list[str] = []
        self.timeout = settings.candidate_timeout
        #: Candidates of more than one edit drawn so far (copies, pairs).
        self.groups_drawn = 0
        self.plausible: tuple[int, Candidate] | None = None
        self.winners: list[tuple[int, Candidate]] = []
        #: Winners that broke another test of the project, with the tests they broke.
        self.rejected: list[tuple[Candidate, tuple[str, ...]]] = []
        self.other_passing: list[str] | None = None
        self.other_files: list[str] = []
        self.other_timeout = OTHERS_TIMEOUT
        #: Candidates dispatched so far (the rank of the next is one more).
        self.dispatched = 0
        self.rank_time = self.setup_time = self.others_time = 0.0
        self.setup_parts: dict[str, float] = {}
        self.run_times: list[float] = []
        #: What differs between the validators' world and the harness's run (notes).
        self.world: list[str] = []
        #: The candidates' sessions run the tests in the harness's order, not the failing
        #: accept tests first (see ``_same_world``).
        self.in_order = False
        #: Seconds the harness's run of the session's tests took, and the whole session
        #: on the original code in a validator (0: not run).
        self.base_seconds = self.check_time = 0.0
        #: The regression set, when it is too slow for a candidate's session: a winner
        #: runs it once, within ``confirm_timeout`` (see ``_fit``).
        self.confirm: list[str] = []
        self.confirm_timeout = 0.0

    def _regression(self) -> tuple[list[str], float] | str:
        """The regression set and the base's test time: the harness's when it knows
        them, else from one run of the accept tests' files in a worker (the accept
        tests known to fail left out when the base hung: they would hang again).

        :returns: Or why the tests cannot run.
        """
        known = self.known
        if known.regression is not None:
            tests = [*self.accept, *known.regression]
            seconds = sum(d for n, d in known.durations.items()
                          if any(_belongs(n, [t]) for t in tests))
            return list(known.regression), seconds
        files = list(dict.fromkeys(a.split("::", 1)[0] for a in self.accept))
        deselect = [arg for f in dict.fromkeys(self.failing) for arg in ("--deselect", f)]
        base = self.pool.run({}, [*SESSION_ARGS, *files, *(deselect if known.hang else ())],
                             self.settings.candidate_timeout * 3)
        if not base.outcomes and not base.timed_out and base.rc not in (0, 5):
            how = (_CRASHED if base.crashed else f"pytest exit code {base.rc}, no test ran")
            return f"the tests could not run in the validation workers ({how})"
        regression = [n for n, o in base.outcomes.items()
                      if o == "passed" and not _belongs(n, self.accept) and "::" in n]
        return regression, sum(base.durations.values()) or base.duration

    def _baseline(self) -> str:
        """Regression set, timeouts, a sanity run; every worker warmed with the args.

        :returns: Why the search cannot run (``""`` when it can).
        """
        clock = time.monotonic()
        found = self._regression()
        clock = self._part("regression", clock)
        if isinstance(found, str):
            return found
        regression, seconds = found
        failing_first = list(dict.fromkeys(self.failing))
        rest = [a for a in self.accept if a not in failing_first]
        self._set_timeout(seconds)
        self.base_seconds = seconds
        sanity = self._warm_sessions(failing_first, rest, regression)
        if not _ran_tests(sanity) and not sanity.timed_out and sanity.rc not in (0, 1):
            how = (_CRASHED if sanity.crashed
                   else f"pytest exit code {sanity.rc}, no test ran")
            return f"the tests could not run in the validation workers ({how})"
        return self._same_world(failing_first, rest, regression, sanity)

    def _session_args(self, failing: list[str], rest: list[str],
                      regression: list[str]) -> list[str]:
        """The candidates' session (see ``_order``): ``failing`` first, then ``rest``, then
        ``regression``; or all of them in the order of the harness's run (``in_order``)."""
        if not self.in_order:
            return ordered_args(SESSION_ARGS, [failing, rest, regression])
        tests = [*failing, *rest, *regression]
        ran = [n for n in self.known.durations if any(_belongs(n, [t]) for t in tests)]
        return ordered_args(SESSION_ARGS, [[*ran, *(t for t in tests if t not in ran)]])

    def _warm_sessions(self, failing: list[str], rest: list[str],
                       regression: list[str]) -> RunResult:
        """Warm every worker with the candidates' session; the sanity run of the original
        code."""
        sanity = self._warm(self._session_args(failing, rest, regression))
        if sanity.rc == NOT_FOUND and not _ran_tests(sanity):
            # A test id the order plugin cannot match (not in pytest's form): node ids.
            sanity = self._warm(["-x", *SESSION_ARGS, *failing, *rest, *regression])
        return sanity

    def _where(self) -> str:
        return ("forks of the task's test server" if self.pool.forked
                else "a copy of the workspace")

    def _check(self, sanity: RunResult | None = None) -> RunResult | None:
        """Every test of the candidates' session once on the original code: ``sanity``
        when nothing stopped it, else a run without ``-x`` (within what the harness's run
        of them took, at least a candidate's timeout); ``None`` if it cannot tell."""
        if sanity is not None and sanity.ok:
            self.check_time = sanity.duration
            return sanity
        timeout = min(OTHERS_TIMEOUT, max(self.timeout, 2 * self.base_seconds))
        check = self.pool.run({}, [a for a in self.args if a != "-x"],
                              timeout + STARTUP_ALLOWANCE, prepare=False)
        self.check_time = check.duration
        return None if check.timed_out or check.crashed else check

    def _same_world(self, failing: list[str], rest: list[str], regression: list[str],
                    sanity: RunResult) -> str:
        """Compare the tests' outcomes on the original code in the validators with the
        harness's baseline: a validator that sees another world (what is imported, the
        environment, the order of the tests) judges every candidate wrongly.

        - failing accept tests that pass here: in the order of the harness's run, if they
          fail there, the candidates' sessions keep that order; else none left failing,
          the search stops; some, it goes on and says so (``self.world``);
        - an accept test that passed in the harness's run and fails here would reject
          every candidate: the search stops;
        - such a test of the regression set is left out of the candidates' sessions (the
          final verify still runs it) and the search says so.

        :returns: Why the search cannot run (``""`` when it can).
        """
        check = self._check(sanity)
        if check is None:
            self._fit(failing, rest, regression)
            return ""  # it cannot tell: the search goes on as before
        passes = [t for t in failing if _outcome(check, t) == "passed"]
        if passes and self.known.durations:
            check = self._in_harness_order(failing, rest, regression) or check
            passes = [t for t in failing if _outcome(check, t) == "passed"]
        where = self._where()
        if failing and len(passes) == len(failing):
            return (f"the accept tests pass in the validation workers ({where}): they fail "
                    "only in the harness's run")
        broken = [t for t in rest if _outcome(check, t) == "failed"]
        if broken:
            return (f"{_some(broken)} passed in the harness's run but fail(s) in the "
                    f"validation workers ({where}): every candidate would fail it")
        if passes:
            self.world.append(f"{_some(passes)} fail(s) in the harness's run but pass(es) in "
                              f"the validation workers ({where}): the search could not use "
                              "it")
        dropped = [t for t in regression if _outcome(check, t) == "failed"]
        if dropped:
            self.world.append(f"{_some(dropped)} of the regression set passed in the "
                              f"harness's run but fail(s) in the validation workers "
                              f"({where}): left out of the candidates' sessions (the "
                              "final verify runs it)")
        kept = [t for t in regression if t not in dropped]
        if not self._fit(failing, rest, kept, check) and dropped:
            self._warm_sessions(failing, rest, kept)
        return ""

    def _fit(self, failing: list[str], rest: list[str], regression: list[str],
             check: RunResult | None = None) -> bool:
        """When the whole session on the original code (``check``, ``None`` if it did not
        finish) took more than half a candidate's timeout, a correct candidate would time
        out in it: the candidates' sessions keep the accept tests and the regression tests
        that fit in that half (those of the accept tests' classes first, then the fastest;
        ``_fitting``), and a winner runs the others once, with the time they need
        (``_breaks_others``). Whether it split them."""
        if not regression or 2 * self.check_time <= self.timeout:
            return False
        kept = _fitting(regression, [*failing, *rest], check, self.timeout / 2)
        self.confirm = [t for t in regression if t not in kept]
        self.confirm_timeout = min(OTHERS_TIMEOUT, max(3 * self.check_time, self.timeout))
        self.world.append(f"the regression set ({len(regression)} tests) took "
                          f"{self.check_time:.1f}s on the unchanged code, too long for a "
                          f"candidate's {self.timeout:.1f}s: candidates ran the accept tests "
                          f"and {len(kept)} of them, a winner the others")
        self._warm_sessions(failing, rest, kept)
        return True

    def _in_harness_order(self, failing: list[str], rest: list[str],
                          regression: list[str]) -> RunResult | None:
        """The check in the order of the harness's run, when running the failing accept
        tests first hid a failure (a test before them leaves state behind); if every
        failing accept test fails so, the candidates' sessions keep that order."""
        self.in_order = True
        self.args = self._session_args(failing, rest, regression)
        check = self._check()
        if check is None or any(_outcome(check, t) == "passed" for t in failing):
            self.in_order = False
            self.args = self._session_args(failing, rest, regression)
            return None
        self.world.append(f"{_some(failing)} fail(s) only after the tests the harness ran "
                          "before it: the candidates' sessions run the tests in the "
                          "harness's order")
        self._warm_sessions(failing, rest, regression)
        return check

    def _set_timeout(self, seconds: float) -> None:
        """A candidate's timeout from the base's test time ``seconds``."""
        # A correct candidate runs about as long as the baseline; loops are cut early.
        self.timeout = min(self.settings.candidate_timeout, max(1.0, 5 * seconds + 0.5))
        if self.known.hang:
            # A test that hangs is cut by its per-test limit, at most half the candidate's
            # timeout: a worker's first run (the probe on the original code, then the
            # candidate) then stays within its deadline and the worker is kept.
            self.timeout = max(self.timeout, 2.0)
            self.pool.limits = self.pool.limits.within(self.timeout / 2)

    def _warm(self, args: list[str]) -> RunResult:
        """Use ``args`` for every candidate: every worker parses them once (and probes
        them) before the first candidate, so that cost never counts against a
        candidate's timeout; then one sanity run of the original code."""
        self.args = args
        clock = time.monotonic()
        self.pool.warm(self.args, self.timeout + STARTUP_ALLOWANCE)
        clock = self._part("warm", clock)
        sanity = self.pool.run({}, self.args, self.timeout + STARTUP_ALLOWANCE)
        self._part("sanity", clock)
        return sanity

    def _part(self, name: str, since: float) -> float:
        """Record a part of the set-up that began at ``since``; the time now."""
        now = time.monotonic()
        self.setup_parts[name] = now - since
        return now

    def _groups(self) -> Iterator[tuple[tuple[Edit, ...], float]]:
        """Safe singles, then pairs of them (some), then the risky singles (known
        overfitting patterns), then the other pairs."""
        safe = [e for e in self.singles if not e.risky]
        # Each safe single, then the same change at every copy of its code (one group).
        for group in with_copies(safe, self.susp, self.evidence, same_edits(safe)):
            self.groups_drawn += len(group[0]) > 1
            yield group
        # Pairs: singles that made progress (some failing accept test passed) first.
        ranked = sorted(self.progress, key=lambda t: -t[1])
        pool = [(e, edit_score(e, self.susp, self.evidence)) for e, _ in ranked if not e.risky]
        pool += [(e, edit_score(e, self.susp, self.evidence)) for e in safe[:PAIR_POOL]
                 if all(e is not p for p, _ in pool)]
        found = pairs(pool, PAIR_POOL)
        for _, group in zip(range(EARLY_PAIRS), found, strict=False):
            self.groups_drawn += 1
            yield group
        for edit in self.singles:
            if edit.risky:
                yield (edit,), edit_score(edit, self.susp, self.evidence)
        for group in found:
            self.groups_drawn += 1
            yield group

    def _validate(self, cand: Candidate) -> RunResult:
        try:
            return self.pool.run(cand.files, self.args, self.timeout)
        except (OSError, RuntimeError, ValueError):
            # A worker that cannot be restarted fails this candidate, not the search.
            return RunResult(rc=-1, passed=0, failed=(), crashed=True)

    def run(self) -> SearchReport:
        setup = time.monotonic()
        problem = self._baseline()
        self.setup_time = time.monotonic() - setup + self.setup_parts.get("pool", 0.0)
        if problem:
            return self._report(None, False, problem)
        stream = candidates(self._groups(), self.sources, self.previous_diffs, self.seen)
        while True:
            stopped_by = self._dispatch(stream)
            if not self.winners:
                break
            winner = self._confirmed()
            if winner is not None:
                return self._report(winner, False, "found")
            # Every winner of the window broke another test of the project: search on.
        if self.plausible is not None:
            return self._report(self.plausible[1], True, stopped_by)
        return self._report(None, False, stopped_by)

    def _confirmed(self) -> Candidate | None:
        """The winner: among the passing candidates of the winner window (the best-ranked
        one and the next _WINNER_WINDOW - 1 in rank order), the safe before the risky, then
        the smallest, then the best-ranked -- the first of them that breaks no other test
        of the project. A fixed window, not "whatever was in flight": the same search picks
        the same fix however the validators were scheduled. The window's candidates leave
        ``winners`` (those that broke a test are counted in ``rejected``)."""
        last = self._window_end()
        window = sorted((w for w in self.winners if w[0] <= last), key=_preference)
        self.winners = [w for w in self.winners if w[0] > last]
        for _, cand in window:
            checking = time.monotonic()
            broke = self._breaks_others(cand)
            self.others_time += time.monotonic() - checking
            if not broke:
                return cand
            self.rejected.append((cand, broke))
        return None

    def _others(self) -> list[str] | None:
        """Tests of the project's other test files (in the accept tests' directories) that
        pass at the base, run once, when the first winner needs them; ``[]`` when there are
        none or they cannot tell (their run timed out or crashed)."""
        if self.other_passing is not None:
            return self.other_passing
        self.other_passing = []
        files = (_other_test_files(self.pool.root / self.pool.rel, self.accept,
                                   self.pool.root)
                 if self.known.guard else [])
        if files:
            base = self.pool.run({}, [*OTHERS_ARGS, *files], OTHERS_TIMEOUT)
            if not (base.timed_out or base.crashed):
                self.other_files = files
                self.other_timeout = min(OTHERS_TIMEOUT, 3 * base.duration + STARTUP_ALLOWANCE)
                self.other_passing = [n for n, o in base.outcomes.items()
                                      if o == "passed" and "::" in n]
        return self.other_passing

    def _breaks_others(self, cand: Candidate) -> tuple[str, ...]:
        """The tests of the other test files that passed at the base and fail (or do not
        finish) with ``cand``: a fix passes its own tests *and* keeps the project's.

        The accept tests' files are the regression set every candidate runs; the other
        files of their directories run only for a winner (one run, not one per candidate).
        Plausible-but-wrong fixes of real bugs pass the accept tests and their files and
        break a test of another file (a changed helper that other modules call too).
        """
        if self.confirm:
            mine = self.pool.run(cand.files, ordered_args(SESSION_ARGS, [self.confirm]),
                                 self.confirm_timeout + STARTUP_ALLOWANCE, prepare=False)
            if mine.timed_out or mine.crashed:
                return ("(the regression set did not finish with it)",)
            if not mine.ok:
                return mine.failed or ("(the regression set failed with it)",)
        passing = self._others()
        if not passing:
            return ()
        result = self.pool.run(cand.files, [*OTHERS_ARGS, *self.other_files],
                               self.other_timeout)
        if result.timed_out or result.crashed:
            return ("(the other test files did not finish with it)",)
        return tuple(n for n in passing if result.outcomes.get(n) != "passed")

    def _next(self, stream: Iterator[Candidate], in_flight: int) -> Candidate | str:
        """The next candidate to dispatch, or why dispatching stops."""
        if self.validated + in_flight >= self.settings.offline_max_candidates:
            return "candidate budget"
        if time.monotonic() >= self.deadline:
            return "time budget"
        return next(stream, None) or "candidates exhausted"

    def _window_end(self) -> int:
        """The last rank the winner window holds (after the best-ranked passing candidate)."""
        return min(rank for rank, _ in self.winners) + _WINNER_WINDOW - 1

    def _wants_more(self, index: int) -> bool:
        """Whether to dispatch the candidate after rank ``index``: until one passes, then
        up to the end of the winner window."""
        return not self.winners or index < self._window_end()

    def _dispatch(self, stream: Iterator[Candidate]) -> str:
        """Validate candidates in rank order, ``pool.size`` at a time, until one passes
        and its winner window is validated, or a budget runs out."""
        stopped_by = "candidates exhausted"
        exhausted = False
        with cf.ThreadPoolExecutor(max_workers=self.pool.size) as executor:
            in_flight: dict[cf.Future[RunResult], tuple[int, Candidate]] = {}
            while True:
                while (self._wants_more(self.dispatched) and not exhausted
                       and len(in_flight) < self.pool.size):
                    cand = self._next(stream, len(in_flight))
                    if isinstance(cand, str):
                        stopped_by, exhausted = cand, True
                        break
                    self.dispatched += 1
                    in_flight[executor.submit(self._validate, cand)] = (self.dispatched, cand)
                if not in_flight:
                    return stopped_by
                done, _ = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
                for future in done:
                    rank, cand = in_flight.pop(future)
                    self._record(rank, cand, future.result())

    def _record(self, rank: int, cand: Candidate, result: RunResult) -> None:
        self.validated += 1
        self.validation_time += result.duration
        self.run_times.append(result.duration)
        self.hung += result.timed_out
        verdict = self._classify(result)
        if verdict in ("pass", "plausible") and not self._lint_clean(cand):
            return
        if verdict == "pass":
            self.winners.append((rank, cand))
        elif verdict == "plausible" and (self.plausible is None or rank < self.plausible[0]):
            self.plausible = (rank, cand)
        elif verdict == "progress":
            passed = self._fixed(result)
            fixed = min(passed, len(self.failing))
            if self.best_partial is None or fixed > self.best_partial[0]:
                self.best_partial = (fixed, cand)
            if len(cand.edits) == 1:
                self.progress.append((cand.edits[0], float(passed)))

    def _fixed(self, result: RunResult) -> int:
        """Tests a candidate's session passed before its first failure: with the failing
        accept tests first, the fixed ones lead; in the harness's order, only those
        count."""
        if not self.in_order:
            return result.passed
        return sum(_outcome(result, t) == "passed" for t in self.failing)

    def _classify(self, result: RunResult) -> str:
        if result.ok:
            return "pass"
        if result.timed_out or result.crashed or not result.failed:
            return "fail"
        first = result.failed[0]
        accept_passed = result.passed >= 1 if not self.in_order else all(
            _outcome(result, t) == "passed" for t in self.accept)
        if not _belongs(first, self.accept) and accept_passed:
            return "plausible"
        return "progress" if self._fixed(result) > 0 else "fail"

    def _lint_clean(self, cand: Candidate) -> bool:
        """The candidate adds no lint finding to the files it changes (verify checks it too)."""
        if not self.settings.lint_command:
            return True
        from pytest_agent._lintdiff import new_lint_findings

        files = sorted(cand.files)
        found, _ = new_lint_findings(self.pool.root, files,
                                     {rel: self.sources[rel].text for rel in files},
                                     self.settings, after=cand.files)
        # None: the linter does not run here; verify will say so.
        return found is None or not found

    def _report(self, winner: Candidate | None, plausible: bool, stopped_by: str) -> SearchReport:
        best = self.best_partial
        return SearchReport(winner, plausible, self.validated,
                            len(self.singles) + self.groups_drawn,
                            time.monotonic() - self.started, self.validation_time, stopped_by,
                            hung=self.hung, best_partial=best[1] if best else None,
                            best_partial_fixed=best[0] if best else 0,
                            failing=len(self.failing), validators=self.pool.validators,
                            rejected=self.rejected[0][0] if self.rejected else None,
                            rejected_count=len(self.rejected),
                            rejected_broke=self.rejected[0][1] if self.rejected else (),
                            rank_time=self.rank_time, setup_time=self.setup_time,
                            others_time=self.others_time, run_times=tuple(self.run_times),
                            setup_parts=dict(self.setup_parts), world=tuple(self.world))


#: Seconds the other test files of the accept tests' directories may run (at the base, and
#: with a winner: at most three times the base's time).
OTHERS_TIMEOUT: Final = 60.0
#: The other files' runs: a test module that cannot be imported here (a test dependency
#: not installed, test data not checked out) must not stop the others from running.
OTHERS_ARGS: Final = (*SESSION_ARGS, "--continue-on-collection-errors")
#: Other test files run for a winner, at most (the nearest first).
MAX_OTHER_FILES: Final = 50


def _other_test_files(test_root: Path, accept: Sequence[str], root: Path) -> list[str]:
    """The test files (by the project's ``python_files``, read from its pytest config
    between ``test_root`` and the workspace ``root``; ``test_*.py *_test.py`` by default)
    beside the accept tests' files: in their directories and below (only the directory
    itself for the root), the accept tests' own files left out; paths as the accept tests
    write theirs."""
    own = {a.split("::", 1)[0] for a in accept}
    patterns = python_files(test_root, root)
    found: list[str] = []
    for rel in sorted({str(Path(f).parent) for f in own}):
        folder = test_root / rel
        pattern = "*.py" if rel in ("", ".") else "**/*.py"
        for path in sorted(folder.glob(pattern)):
            if not is_test_module(path, patterns):
                continue
            relpath = path.relative_to(test_root).as_posix()
            if relpath in own or relpath in found or any(
                    p.startswith(".") for p in path.relative_to(test_root).parts):
                continue
            found.append(relpath)
    return found[:MAX_OTHER_FILES]


#: How many candidates, from the best-ranked passing one on in rank order, compete for the
#: win: a passing candidate ranked just below a risky or bigger one may be the better fix.
_WINNER_WINDOW: Final = 2


def _preference(entry: tuple[int, Candidate]) -> tuple[bool, int, int]:
    """Safe before risky, then the smallest resulting program, then the best-ranked."""
    rank, cand = entry
    return (any(e.risky for e in cand.edits), cand.nodes, rank)
