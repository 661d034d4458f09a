"""The localization benchmark over the real-bug corpus (benchmarks/real_bugs, issue #17):
the rank of the function the developer changed, each bug materialized from its local git
mirror, its coverage runs optionally kept and reused (``--cache``, spectrum_cache.py)."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import spectrum_cache as bench_cache
from topk import KS
from topk import p90
from topk import top

from pytest_agent._collector import COVERAGE_BRANCH_ENV as BRANCH_ENV
from pytest_agent._types import Task
from pytest_agent._types import Workspace
from pytest_agent.localize import estimate_tokens
from pytest_agent.localize import localize_detailed
from pytest_agent.localize._functions import read_module
from pytest_agent.localize._mutants import run_mutants as _ORIGINAL_RUN_MUTANTS
from pytest_agent.localize._run import run_spectrum as _ORIGINAL_RUN_SPECTRUM
from pytest_agent.localize._valuerec import VALUES_ENV
from pytest_agent.settings import AgentSettings
from pytest_agent.testrun import run_tests

__all__ = ["RealResult", "main_real", "measure_real", "real_report", "settings_extra"]

HERE = Path(__file__).resolve().parent

REAL_BUGS = HERE.parent / "real_bugs"


@dataclass
class RealResult:
    id: str
    fault_kind: str
    #: Rank of the main changed function (most changed lines) and of the best-ranked
    #: changed function; None: not in the ranking.
    main_rank: int | None
    any_rank: int | None
    top: str
    method: str
    seconds: float
    pack_tokens: int
    error: str = ""
    #: The first ten ranked functions: path, function, score, evidence (for --dump).
    ranking: list[dict[str, object]] = field(default_factory=list)
    #: Seconds the mutation signal took (--mutation; a reused run: when it ran).
    mutation_seconds: float = 0.0
    #: Passing tests of the extra tests' run (``--extra-seconds``).
    extra: int = 0


def _matches(loc_path: str, loc_function: str, file: str, function: str,
             buggy_spans: set[str]) -> bool:
    if loc_path != file:
        return False
    if loc_function == function:
        return True
    # A member the fix added: the class it went into is the place.
    return function.startswith(loc_function + ".") and function not in buggy_spans


#: What the runs of one ``--cache`` were recorded with, at its root (see ``recording``).
RECORDING_FILE = "recording.json"


def recording(settings: AgentSettings) -> dict[str, bool]:
    """What a coverage run made by this process records beyond lines: arcs (a weight
    above 0, or the environment) and value spectra (the environment only). A cache
    whose runs disagree ranks some bugs with evidence that others lack: a cache copied
    while it was still being built, filled in by a process without
    ``PYTEST_AGENT_LOCALIZE_VALUES=1``, once gave 30 study bugs no value records."""
    return {"arcs": settings.localize_arc_weight > 0 or os.environ.get(BRANCH_ENV) == "1",
            "values": os.environ.get(VALUES_ENV) == "1"}


def check_recording(cache_root: Path, wanted: Mapping[str, bool]) -> None:
    """Refuse to add a run recorded otherwise than the cache's runs.

    The cache's setting is its ``recording.json``; a cache made before that file is
    read from one of its runs (arcs and value records held or not) and the file is
    written then.

    :raises spectrum_cache.CacheError: naming the cache, both settings and the fix.
    """
    path = cache_root / RECORDING_FILE
    if path.is_file():
        held = {k: bool(v) for k, v in json.loads(path.read_text()).items()}
    else:
        held = dict(wanted)
        for stored in sorted(cache_root.glob("*/spectrum.pickle"))[:5]:
            run = bench_cache.load(stored)
            held = {"arcs": bool(getattr(run, "arcs", None)),
                    "values": getattr(run, "values", None) is not None}
            if held["arcs"]:  # a run without coverage has no arcs either: look further
                break
        path.write_text(json.dumps(held, sort_keys=True) + "\n")
    if held != dict(wanted):
        env = {"arcs": f"{BRANCH_ENV}=1 (or a --arc-weight above 0)", "values": f"{VALUES_ENV}=1"}
        fix = "; ".join(f"{env[k]} {'set' if held[k] else 'unset'}"
                        for k in sorted(held) if held[k] != wanted.get(k))
        raise bench_cache.CacheError(
            f"{cache_root}: its coverage runs were recorded with {held}, and a bug lacks"
            f" its run; this process would record it with {dict(wanted)}. Run with {fix},"
            " or use another --cache directory")


class _SpectrumRuns:
    """``run_spectrum`` for one bug: each run it made or reused (``--cache DIR``: kept
    in the bug's directory, relative to it, see spectrum_cache.py; the accept tests'
    run as ``spectrum.pickle``, another, such as the extra tests' run, under a key of
    its targets). A run it must make in a cache is first checked against the cache's
    recording (``check_recording``)."""

    def __init__(self, cache: Path | None, primary: Sequence[str],
                 wanted: Mapping[str, bool] | None = None) -> None:
        self._real = _ORIGINAL_RUN_SPECTRUM
        self._cache = cache
        self._primary = list(primary)
        self._wanted = dict(wanted or {})
        #: (targets, the run, reused from the cache).
        self.calls: list[tuple[list[str], Any, bool]] = []

    def _stored(self, targets: list[str]) -> Path | None:
        if self._cache is None:
            return None
        if targets == self._primary:
            return self._cache / "spectrum.pickle"
        key = hashlib.sha256("\n".join(targets).encode()).hexdigest()[:12]
        return self._cache / f"spectrum-{key}.pickle"

    def __call__(self, test_root: Path, source_root: Path, targets: Sequence[str],
                 **kwargs: Any) -> Any:
        stored = self._stored(list(targets))
        found = self._load(stored, float(kwargs.get("timeout", 0.0)), list(targets))
        reused = found is not None
        if found is None:
            if self._cache is not None:
                check_recording(self._cache.parent, self._wanted)
            found = self._real(test_root, source_root, targets, **kwargs)
            if stored is not None:
                bench_cache.store(stored, found if list(targets) == self._primary
                                  else {"budget": kwargs.get("timeout", 0.0), "run": found})
        self.calls.append((list(targets), found, reused))
        return found

    def _load(self, stored: Path | None, budget: float, targets: list[str]) -> Any:
        """The stored run, or None to run it again. An extra tests' run made with a
        larger budget is cut to this one (the tests whose coverage was written by then:
        ``SpectrumRun.finished_at``); one made with a smaller budget is run again."""
        if stored is None or not stored.is_file():
            return None
        found = bench_cache.load(stored)
        if targets == self._primary:
            return found
        if float(found["budget"]) < budget:
            return None
        return _cut(found["run"], budget) if float(found["budget"]) > budget else found["run"]

    @property
    def reused_seconds(self) -> float:
        """What the reused runs took when they ran."""
        return sum(run.duration for _, run, reused in self.calls if reused)

    @property
    def extra_passing(self) -> int:
        return sum(len(run.passing) for targets, run, _ in self.calls
                   if targets != self._primary)


def _cut(run: Any, seconds: float) -> Any:
    """``run`` as a budget of ``seconds`` would have left it: the tests whose coverage
    was written by then (passing ones: what the extra tests' run adds)."""
    from dataclasses import replace

    if not run.started_at:
        return run
    end = run.started_at + seconds
    kept = {n for n, at in run.finished_at.items() if at <= end}
    return replace(
        run, outcomes={n: o for n, o in run.outcomes.items() if n in kept},
        coverage={f: {n: lines for n, lines in per.items() if n in kept}
                  for f, per in run.coverage.items()},
        arcs={f: {n: taken for n, taken in per.items() if n in kept}
              for f, per in run.arcs.items()},
        duration=min(run.duration, seconds), timed_out=run.timed_out or run.duration > seconds)


#: Seconds of each mutation run of the current bug (``_cached_mutants`` appends).
_MUTATION_SECONDS: list[float] = []


def _cached_mutants(cache: Path | None) -> Callable[..., object]:
    """``run_mutants`` that records its time and, with ``--cache``, keeps its result in
    the bug's directory and reuses it while the mutated functions and tests are the same
    (the combination with the ranking then runs again: --mutation-weight)."""
    from pytest_agent.localize import _mutants

    real = _ORIGINAL_RUN_MUTANTS

    def run_mutants(root: Path, test_root: Path, targets: object, failing: object,
                    passing: object, settings: AgentSettings) -> object:
        key = repr((targets, failing, passing, _mutants.PER_FUNCTION, _mutants.PER_LINE,
                    settings.localize_mutation_seconds))
        stored = cache / "mutants.pickle" if cache is not None else None
        if stored is not None and stored.is_file():
            held_key, held = bench_cache.load(stored)
            if held_key == key:
                _MUTATION_SECONDS.append(held.duration)
                return held
        found = real(root, test_root, targets, failing, passing,  # type: ignore[arg-type]
                     settings)
        _MUTATION_SECONDS.append(found.duration)
        if stored is not None:
            bench_cache.store(stored, (key, found))
        return found

    return run_mutants


@contextlib.contextmanager
def _bug_dir(bug_id: str, cache_root: str) -> Iterator[Path]:
    """A temp dir for the bug, or its directory under ``--cache`` (kept, reused)."""
    if not cache_root:
        with tempfile.TemporaryDirectory(prefix="loc-real-") as tmp:
            yield Path(tmp)
        return
    path = Path(cache_root).resolve() / bug_id
    path.mkdir(parents=True, exist_ok=True)
    yield path


def measure_real(bug_id: str, settings: AgentSettings, subject: bool,
                 cache_root: str = "") -> RealResult:
    sys.path.insert(0, str(REAL_BUGS))
    from materialize import materialize  # the corpus's own materializer

    from pytest_agent.localize import _mutants
    from pytest_agent.localize import _run

    with _bug_dir(bug_id, cache_root) as tmp:
        try:
            root = tmp / bug_id
            if not (cache_root and (root / "meta.json").is_file()):
                if root.exists():
                    shutil.rmtree(root)
                root = materialize(bug_id, tmp)
        except (OSError, KeyError, RuntimeError) as exc:
            return RealResult(bug_id, "", None, None, "", "", 0.0, 0, f"materialize: {exc}")
        _mutants.run_mutants = _cached_mutants(  # type: ignore[assignment]
            tmp if cache_root else None)
        _MUTATION_SECONDS.clear()
        meta = json.loads((root / "meta.json").read_text())
        tests = ", ".join(t.rsplit("::", 1)[-1] for t in meta["accept_tests"][:4])
        description = f"Make the failing tests pass: {tests}"
        if subject:
            description = meta["description"]
        task = Task(id=bug_id, description=description,
                    accept_tests=tuple(meta["accept_tests"]))
        # --cache: the coverage runs and the baseline are kept and reused; only the
        # ranking and the pack run again (``seconds`` adds what the reused runs took).
        runs = _SpectrumRuns(tmp if cache_root else None,
                             task.accept_test_files or task.accept_tests, recording(settings))
        _run.run_spectrum = runs  # type: ignore[assignment]
        ws = Workspace(root=root, branch="agent/x", base_commit="0" * 40, repo_root=root)
        stored = tmp / "baseline.pickle"
        if cache_root and stored.is_file():
            baseline = bench_cache.load(stored)
        else:
            baseline = run_tests(root, task.accept_tests, timeout=settings.test_timeout)
            if cache_root:
                bench_cache.store(stored, baseline)
        started = time.monotonic()
        found = localize_detailed(task, ws, baseline, settings)
        # A reused coverage run is counted at the time it took when it ran.
        seconds = time.monotonic() - started + runs.reused_seconds
        spans: dict[str, set[str]] = {}
        for change in meta["changed"]:
            info = read_module(root / change["file"])
            spans[change["file"]] = {s.qualname for s in info.spans} if info else set()
    ranks = []
    for change in meta["changed"]:
        rank = next((i for i, loc in enumerate(found.functions, 1)
                     if _matches(loc.path, loc.function, change["file"], change["function"],
                                 spans[change["file"]])), None)
        ranks.append(rank)
    known = [r for r in ranks if r is not None]
    top = f"{found.functions[0].path}::{found.functions[0].function}" if found.functions else ""
    ranking: list[dict[str, object]] = [
        {"path": loc.path, "function": loc.function, "score": loc.score,
         "evidence": list(loc.evidence)} for loc in found.functions[:10]]
    return RealResult(bug_id, meta["fault_kind"], ranks[0], min(known) if known else None,
                      top, found.method, seconds, estimate_tokens(found.pack), "", ranking,
                      sum(_MUTATION_SECONDS), runs.extra_passing)


def settings_extra(args: argparse.Namespace) -> float:
    """The extra tests' budget of this run (``--extra-seconds``, or the settings' default)."""
    if args.extra_seconds is not None:
        return float(args.extra_seconds)
    return AgentSettings().localize_extra_tests_seconds


def real_report(results: list[RealResult], args: argparse.Namespace) -> str:
    ok = [r for r in results if not r.error]
    lines = [
        "# Localization benchmark: real bugs",
        "",
        "`python benchmarks/localize/run.py --corpus real"
        + (f" --split {args.split}" if args.split != "tuned" else "")
        + (f" --cache {args.cache}" if args.cache else "")
        + (f" --exclude {args.exclude}" if args.exclude else "")
        + (f" --test-timeout {args.test_timeout:g}" if args.test_timeout != 60 else "")
        + (f" --extra-seconds {args.extra_seconds:g}" if args.extra_seconds is not None
           else "")
        + (" --subject" if args.subject else "")
        + (f" --without {args.without}" if args.without else "")
        + (f" --arc-weight {args.arc_weight:g}" if args.arc_weight is not None else "")
        + (f" --similarity {args.similarity:g}" if args.similarity is not None else "")
        + "".join(f" --set {w}" for w in args.set)
        + (f" --mutation {args.mutation:g} --mutation-weight {args.mutation_weight:g}"
           if args.mutation else "") + "`",
        f"({len(ok)} bugs of benchmarks/real_bugs, materialized from local git mirrors;"
        f" Python {platform.python_version()}, {os.cpu_count()} cores shared with other"
        " work; child pytest runs without plugin autoload; the task's description names"
        " the failing tests" + (" and gives the fix commit's subject)" if args.subject
                                else " only)"),
        "",
        "| changed function | top-1 | top-3 | top-5 |",
        "| --- | --- | --- | --- |",
    ]
    for label, attr in (("main (most changed lines)", "main_rank"), ("any changed", "any_rank")):
        cells = " | ".join(f"{top(ok, attr, k):.0f}%" for k in KS)
        lines.append(f"| {label} | {cells} |")
    secs = [r.seconds for r in ok]
    lines += [
        "",
        f"Localization time per bug (coverage run, ranking, pack): median "
        f"{statistics.median(secs):.1f} s, p90 {p90(secs):.1f} s, max {max(secs):.1f} s;"
        f" extra passing tests (other files, ``localize_extra_tests_seconds`` "
        f"{settings_extra(args):g}): median {statistics.median(r.extra for r in ok):g},"
        f" {sum(1 for r in ok if r.extra)} bugs with any. Pack: median "
        f"{statistics.median(r.pack_tokens for r in ok)} estimated tokens, max "
        f"{max(r.pack_tokens for r in ok)} (budget {AgentSettings().context_token_budget}).",
        "",
        "Main changed function ranked first, per project: " + ", ".join(
            f"{p} {sum(1 for r in ok if r.id.rsplit('-', 1)[0] == p and r.main_rank == 1)}/"
            f"{sum(1 for r in ok if r.id.rsplit('-', 1)[0] == p)}"
            for p in dict.fromkeys(r.id.rsplit("-", 1)[0] for r in ok)) + ".",
    ]
    if args.mutation:
        mut = sorted(r.mutation_seconds for r in ok)
        lines += ["", f"Mutation signal (--mutation {args.mutation:g}, weight"
                  f" {args.mutation_weight:g}): median {statistics.median(mut):.1f} s per bug,"
                  f" p90 {mut[int(0.9 * (len(mut) - 1))]:.1f} s, max {mut[-1]:.1f} s."]
    if args.split in ("heldout", "check", "all"):
        # The held-out split stays unread, and the check split is read by its counts
        # only: the report carries the figures, not which function each bug's fix
        # changed or what was ranked above it (--dump has that for the one who runs it).
        errors = sum(1 for r in results if r.error)
        lines += ["", f"Per-bug rows are not written for this split ({errors} bug(s) errored)."]
        return "\n".join(lines) + "\n"
    lines += [
        "",
        "| bug | fault kind | main rank | any rank | ranked first | method | s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        if r.error:
            lines.append(f"| {r.id} | - | - | - | {r.error[:60]} | - | - |")
            continue
        lines.append(f"| {r.id} | {r.fault_kind.split(':')[0]} | {r.main_rank or '-'} | "
                     f"{r.any_rank or '-'} | `{r.top}` | {r.method} | {r.seconds:.1f} |")
    return "\n".join(lines) + "\n"


def main_real(args: argparse.Namespace, settings: AgentSettings) -> int:
    sys.path.insert(0, str(REAL_BUGS))
    from materialize import load_manifest
    from materialize import require_test_imports

    results = []
    wanted = [w for w in args.only.split(",") if w] or [""]
    bugs = [bug for bug in load_manifest(split=args.split)
            if any(w in bug.id for w in wanted) and bug.project not in args.exclude.split(",")]
    try:  # a cached bug is not materialized again: checked here for every bug
        require_test_imports(bug.project for bug in bugs)
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from None
    for bug in bugs:
        try:
            r = measure_real(bug.id, settings, args.subject, args.cache)
        except bench_cache.CacheError as exc:
            raise SystemExit(f"--cache: {exc}") from None
        if args.split in ("check", "heldout"):  # counts only: no bug's ranks on the console
            # (a `tail` of a held-out run's log once showed two held-out bugs' ranks)
            print(f"{r.id:24} {r.seconds:5.1f}s {r.error or 'done'}", flush=True)
        else:
            print(f"{r.id:24} main {r.main_rank!s:>4}  any {r.any_rank!s:>4}  {r.method:20} "
                  f"{r.seconds:5.1f}s  mut {r.mutation_seconds:5.1f}s  extra {r.extra:4}  "
                  f"first {r.top} {r.error}",
                  flush=True)
        results.append(r)
    text = real_report(results, args)
    print(text)
    if args.dump:
        Path(args.dump).write_text(json.dumps([asdict(r) for r in results], indent=1))
    if not args.no_write and not args.only:
        suffix = "" if args.split == "tuned" else f"-{args.split}"
        (HERE / f"RESULTS-real{suffix}.md").write_text(text)
    return 0
