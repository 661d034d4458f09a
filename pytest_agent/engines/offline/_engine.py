"""The search loop: rank candidates, validate them in parallel, pick the winner.

Validation of one candidate is one pytest session in a warm worker (see
``_worker``) on: the accept tests that fail at the baseline (first, so a wrong
candidate is usually rejected by its first test), the other accept tests, then
the other tests of the accept tests' files that pass at the baseline (a repair
should not break them), stopping at the first failure (``-x``). A candidate that
passes the accept tests but breaks one of those other tests is kept as a fallback
("plausible") and returned only when no candidate passes everything.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import final

from pytest_agent import _tempdirs
from pytest_agent._types import Context
from pytest_agent._types import Location
from pytest_agent._types import Proposal
from pytest_agent._types import Task
from pytest_agent._types import Workspace
from pytest_agent.engines.offline._pool import RunResult
from pytest_agent.engines.offline._pool import WorkerPool
from pytest_agent.engines.offline._search import Candidate
from pytest_agent.engines.offline._search import Suspiciousness
from pytest_agent.engines.offline._search import candidates
from pytest_agent.engines.offline._search import edit_score
from pytest_agent.engines.offline._search import pairs
from pytest_agent.engines.offline._search import rank_singles
from pytest_agent.engines.offline._source import Edit
from pytest_agent.engines.offline._source import SourceFile
from pytest_agent.settings import AgentSettings

__all__ = ["SearchReport", "propose", "search"]

#: Flags of every validation session: no cache written into the tree, no traceback
#: formatting (half the cost of a small failing session, and never read).
SESSION_ARGS = ("-q", "--tb=no", "-p", "no:cacheprovider", "-o", "addopts=")
#: Singles whose pairs are tried once the singles are exhausted.
PAIR_POOL = 30


@final
@dataclass(frozen=True)
class SearchReport:
    """What a search did; ``winner`` is ``None`` when nothing passed."""

    winner: Candidate | None
    plausible_only: bool
    validated: int
    generated: int
    duration: float
    validation_time: float
    stopped_by: str


def _belongs(nodeid: str, accept: Sequence[str]) -> bool:
    return any(nodeid == a or nodeid.startswith((a + "::", a + "[")) for a in accept)


def _locations(
    task: Task, context: Context, workspace: Workspace, settings: AgentSettings
) -> tuple[tuple[Location, ...], tuple[Location, ...]]:
    """Ranked functions and lines: the context's when it has line scores, else our own
    localization (a localize hook of a plugin may give functions only)."""
    if context.locations and context.lines:
        return context.locations, context.lines
    try:
        from pytest_agent.localize import localize_detailed

        found = localize_detailed(task, workspace, context.baseline, settings)
        if found.functions:
            return found.functions, found.lines
    except Exception:  # noqa: BLE001 - fall back to the harness's ranking
        pass
    return context.locations, ()


def propose(
    task: Task, context: Context, workspace: Workspace, settings: AgentSettings
) -> Proposal | None:
    started = time.monotonic()
    functions, lines = _locations(task, context, workspace, settings)
    exclude = set(task.accept_test_files) | {
        str((workspace.test_root / f).relative_to(workspace.root).as_posix())
        for f in task.accept_test_files
        if (workspace.test_root / f).resolve().is_relative_to(workspace.root.resolve())
    }
    susp = Suspiciousness.from_locations(functions, lines, exclude)
    failing = list(context.baseline.failing) if context.baseline is not None else []
    try:
        report = search(
            workspace.root, workspace.test_root, susp, task.accept_tests, failing,
            previous_diffs=context.previous_diffs, settings=settings,
            deadline=started + settings.offline_time_budget,
        )
    except (OSError, RuntimeError) as exc:
        return Proposal(diff="", engine="offline", stop_reason=(
            f"the offline engine could not validate candidates ({type(exc).__name__}: {exc}); "
            f"its workers run `{sys.executable} -m pytest_agent.engines.offline._worker`"))
    if report.winner is None:
        return None
    w = report.winner
    rate = report.validated / report.validation_time if report.validation_time > 0 else 0.0
    notes = (
        f"Offline search: {w.description}.\n"
        f"Validated {report.validated} of {report.generated} candidate(s) in "
        f"{report.duration:.1f}s ({rate:.0f}/s); the accept tests pass"
        + (" (plausible only: other tests of the accept test files fail with it)."
           if report.plausible_only else
           " and the other tests of their files still pass.")
    )
    return Proposal(diff=w.diff, notes=notes, engine="offline")


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
) -> SearchReport:
    """Validate ranked candidates until one passes, or the budget runs out."""
    started = time.monotonic()
    sources = _read_sources(root, susp)
    singles = rank_singles(sources, susp)
    if not singles or not accept:
        return SearchReport(None, False, 0, len(singles), time.monotonic() - started, 0.0,
                            "no candidate")
    size = settings.offline_workers or os.cpu_count() or 1
    with WorkerPool(root, test_root, size, mutable=sorted(sources),
                    mem_headroom=mem_headroom) as pool:
        return _Search(pool, sources, singles, susp, accept, failing, previous_diffs,
                       settings, deadline, started).run()


class _Search:
    def __init__(
        self, pool: WorkerPool, sources: dict[str, SourceFile], singles: list[Edit],
        susp: Suspiciousness, accept: Sequence[str], failing: Sequence[str],
        previous_diffs: Sequence[str], settings: AgentSettings, deadline: float,
        started: float,
    ) -> None:
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
        self.seen: set[str] = set()
        self.progress: list[tuple[Edit, float]] = []
        self.args: list[str] = []
        self.timeout = settings.candidate_timeout

    def _baseline(self) -> bool:
        """Run the accept tests' files once: regression set, timeout, sanity."""
        files = list(dict.fromkeys(a.split("::", 1)[0] for a in self.accept))
        base = self.pool.run({}, [*SESSION_ARGS, *files], self.settings.candidate_timeout * 3)
        accept_outcomes = {n: o for n, o in base.outcomes.items() if _belongs(n, self.accept)}
        if base.outcomes and accept_outcomes and all(
                o in ("passed", "skipped") for o in accept_outcomes.values()):
            return False  # nothing fails here: the workers do not see what the harness saw
        regression = [n for n, o in base.outcomes.items()
                      if o == "passed" and not _belongs(n, self.accept) and "::" in n]
        failing_first = list(dict.fromkeys(self.failing))
        rest = [a for a in self.accept if a not in failing_first]
        self.args = ["-x", *SESSION_ARGS, *failing_first, *rest, *regression]
        # A correct candidate runs about as long as the baseline; loops are cut early.
        self.timeout = min(self.settings.candidate_timeout, max(1.0, 5 * base.duration + 0.5))
        # Every worker parses this argument list once (and probes it) before the
        # first candidate, so that cost never counts against a candidate's timeout.
        self.pool.warm(self.args, self.settings.candidate_timeout * 3)
        return True

    def _groups(self) -> Iterator[tuple[tuple[Edit, ...], float]]:
        for edit in self.singles:
            yield (edit,), edit_score(edit, self.susp)
        # Pairs: singles that made progress (some failing accept test passed) first.
        ranked = sorted(self.progress, key=lambda t: -t[1])
        pool = [(e, edit_score(e, self.susp)) for e, _ in ranked]
        pool += [(e, edit_score(e, self.susp)) for e in self.singles[:PAIR_POOL]
                 if all(e is not p for p, _ in pool)]
        yield from pairs(pool, PAIR_POOL)

    def _validate(self, cand: Candidate) -> RunResult:
        try:
            return self.pool.run(cand.files, self.args, self.timeout)
        except (OSError, RuntimeError, ValueError):
            # A worker that cannot be restarted fails this candidate, not the search.
            return RunResult(rc=-1, passed=0, failed=(), crashed=True)

    def run(self) -> SearchReport:
        if not self._baseline():
            return self._report(None, False, "baseline passes in the workers")
        budget = self.settings.offline_max_candidates
        stream = candidates(self._groups(), self.sources, self.previous_diffs, self.seen)
        plausible: tuple[int, Candidate] | None = None
        winners: list[tuple[int, Candidate]] = []
        stopped_by = "candidates exhausted"
        index = 0
        with cf.ThreadPoolExecutor(max_workers=self.pool.size) as executor:
            in_flight: dict[cf.Future[RunResult], tuple[int, Candidate]] = {}
            exhausted = False
            while True:
                while not winners and not exhausted and len(in_flight) < self.pool.size:
                    if self.validated + len(in_flight) >= budget:
                        stopped_by = "candidate budget"
                        exhausted = True
                        break
                    if time.monotonic() >= self.deadline:
                        stopped_by = "time budget"
                        exhausted = True
                        break
                    cand = next(stream, None)
                    if cand is None:
                        exhausted = True
                        break
                    index += 1
                    in_flight[executor.submit(self._validate, cand)] = (index, cand)
                if not in_flight:
                    break
                done, _ = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
                for future in done:
                    rank, cand = in_flight.pop(future)
                    result = future.result()
                    self.validated += 1
                    self.validation_time += result.duration
                    verdict = self._classify(result)
                    if verdict in ("pass", "plausible") and not self._lint_clean(cand):
                        continue
                    if verdict == "pass":
                        winners.append((rank, cand))
                        stopped_by = "found"
                    elif verdict == "plausible" and (plausible is None or rank < plausible[0]):
                        plausible = (rank, cand)
                    elif verdict == "progress" and len(cand.edits) == 1:
                        self.progress.append((cand.edits[0], float(result.passed)))
        if winners:
            # Candidates are dispatched in rank order: the best-ranked pass wins, whatever
            # order the parallel runs finished in.
            return self._report(min(winners, key=lambda t: t[0])[1], False, stopped_by)
        if plausible is not None:
            return self._report(plausible[1], True, stopped_by)
        return self._report(None, False, stopped_by)

    def _classify(self, result: RunResult) -> str:
        if result.ok:
            return "pass"
        if result.timed_out or result.crashed or not result.failed:
            return "fail"
        first = result.failed[0]
        if not _belongs(first, self.accept) and result.passed >= 1:
            return "plausible"
        return "progress" if result.passed > 0 else "fail"

    def _lint_clean(self, cand: Candidate) -> bool:
        """The candidate adds no lint finding to the files it changes (verify checks it too)."""
        if not self.settings.lint_command:
            return True
        from pytest_agent.verify import lint_files

        tmp = tempfile.mkdtemp(prefix=_tempdirs.prefix("lint"))
        try:
            tmp_root = Path(tmp)
            for cfg in ("pyproject.toml", "ruff.toml", ".ruff.toml"):
                if (self.pool.root / cfg).is_file():
                    shutil.copy(self.pool.root / cfg, tmp_root / cfg)
            counts: list[dict[tuple[str, str], int]] = []
            for version in ("before", "after"):
                for rel, text in cand.files.items():
                    target = tmp_root / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(self.sources[rel].text if version == "before" else text,
                                      encoding="utf-8")
                found, _ = lint_files(tmp_root, sorted(cand.files), self.settings)
                if found is None:
                    return True  # the linter does not run here; verify will say so
                tally: dict[tuple[str, str], int] = {}
                for f in found:
                    tally[(f.code, f.message)] = tally.get((f.code, f.message), 0) + 1
                counts.append(tally)
            before, after = counts
            return all(n <= before.get(k, 0) for k, n in after.items())
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _report(self, winner: Candidate | None, plausible: bool, stopped_by: str) -> SearchReport:
        return SearchReport(winner, plausible, self.validated, len(self.singles),
                            time.monotonic() - self.started, self.validation_time, stopped_by)
