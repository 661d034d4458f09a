"""Localization benchmark: the seeded corpus (issue #5) and the real-bug corpus (issue #17).

For each program (a copy in a temp dir), the task is built from meta.json: the
description and the accept tests, with no ``files`` hint. We run
``pytest_agent.localize.localize_detailed`` and check where the seeded fault
(``meta.json``: file, line, function) lands in the ranking:

- line top-k: the faulty line is among the first k ranked lines;
- function top-k: the faulty function is among the first k ranked functions.

Cost: the wall time of localization (the coverage run and the ranking and the
pack) divided by the wall time of one plain ``python -m pytest`` subprocess of
the same test files, both measured in the same process, alternating, ``--runs``
times; per program the ratio of the medians, overall the median of those ratios.

    python benchmarks/localize/run.py                 # writes benchmarks/localize/RESULTS.md
    python benchmarks/localize/run.py --runs 5 --formula dstar --no-write

``--split`` picks the seeded programs by meta.json's ``split`` (benchmarks/corpus/README.md):
``tuned`` (the default: l*/o*), ``study`` (s*; writes RESULTS-seeded-study.md) or
``heldout`` (h*: run only by the lead, once; RESULTS-seeded-heldout.md, no per-program rows).

Child pytest runs load no third-party plugins (``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``,
as in our test suite) unless ``--autoload`` is given: with a dozen plugins
installed, a plain run costs more and the ratio falls (see RESULTS.md).

``--corpus real`` runs over benchmarks/real_bugs instead (each bug materialized from
its local git mirror into a temp dir, see benchmarks/real_bugs/README.md), once per
bug, and writes RESULTS-real.md: the rank of the function the developer changed
(function top-1/3/5: the function with most changed lines, and any changed one; a
method the fix *added* counts as found when its class is ranked). The task's
description names the failing tests only (``--subject`` adds the fix commit's
subject, which often names the function: a leak, off by default).

    python benchmarks/localize/run.py --corpus real          # writes RESULTS-real.md
    python benchmarks/localize/run.py --corpus real -k parse --no-write
"""

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
from collections.abc import Sequence
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CORPUS = REPO / "benchmarks" / "corpus"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import spectrum_cache as bench_cache  # noqa: E402  (benchmarks/localize/spectrum_cache.py)

from pytest_agent._procs import run_process  # noqa: E402
from pytest_agent._types import Task  # noqa: E402
from pytest_agent._types import Workspace  # noqa: E402
from pytest_agent.localize import estimate_tokens  # noqa: E402
from pytest_agent.localize import localize_detailed  # noqa: E402
from pytest_agent.localize._functions import read_module  # noqa: E402
from pytest_agent.localize._mutants import run_mutants as _ORIGINAL_RUN_MUTANTS  # noqa: E402
from pytest_agent.localize._run import run_spectrum as _ORIGINAL_RUN_SPECTRUM  # noqa: E402
from pytest_agent.settings import AgentSettings  # noqa: E402
from pytest_agent.testrun import inner_pytest_env  # noqa: E402
from pytest_agent.testrun import run_tests  # noqa: E402

KS = (1, 3, 5)


@dataclass
class Result:
    name: str
    fault_kind: str
    line_rank: int | None
    function_rank: int | None
    method: str
    plain: float
    localize: float

    @property
    def ratio(self) -> float:
        return self.localize / self.plain


def programs(split: str = "tuned") -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if (p / "meta.json").is_file()
                  and split in ("all", json.loads((p / "meta.json").read_text()).get(
                      "split", "tuned")))


def measure(program: Path, settings: AgentSettings, runs: int) -> Result:
    meta = json.loads((program / "meta.json").read_text())
    with tempfile.TemporaryDirectory(prefix="loc-bench-") as tmp:
        root = Path(tmp) / program.name
        shutil.copytree(program, root, ignore=shutil.ignore_patterns("heldout", "fix.diff",
                                                                     "meta.json"))
        task = Task(id=program.name.replace("_", "-"), description=meta["description"],
                    accept_tests=tuple(meta["accept_tests"]))
        ws = Workspace(root=root, branch="agent/x", base_commit="0" * 40, repo_root=root)
        baseline = run_tests(root, task.accept_tests, timeout=settings.test_timeout)
        files = list(task.accept_test_files)
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files]
        env = inner_pytest_env(root)
        plain_times, loc_times = [], []
        found = None
        for _ in range(runs):
            proc = run_process(argv, cwd=root, timeout=settings.test_timeout, env=env)
            plain_times.append(proc.duration)
            start = time.monotonic()
            found = localize_detailed(task, ws, baseline, settings)
            loc_times.append(time.monotonic() - start)
        assert found is not None
    line_rank = next((i for i, loc in enumerate(found.lines, 1)
                      if loc.path == meta["file"] and loc.line == meta["line"]), None)
    function_rank = next((i for i, loc in enumerate(found.functions, 1)
                          if loc.path == meta["file"] and loc.function == meta["function"]), None)
    return Result(program.name, meta["fault_kind"], line_rank, function_rank, found.method,
                  statistics.median(plain_times), statistics.median(loc_times))


def top(results: list[Result], attr: str, k: int) -> float:
    hits = sum(1 for r in results if (getattr(r, attr) or 10**9) <= k)
    return 100.0 * hits / len(results)


def report(results: list[Result], args: argparse.Namespace) -> str:
    ratios = [r.ratio for r in results]
    lines = [
        "# Localization benchmark",
        "",
        f"`python benchmarks/localize/run.py --runs {args.runs} --formula {args.formula}"
        + (" --autoload" if args.autoload else "") + "`"
        + ("" if args.split == "tuned" else f" (split {args.split})"),
        f"({len(results)} programs from benchmarks/corpus; Python {platform.python_version()},"
        f" {os.cpu_count()} cores; child pytest runs "
        + ("with" if args.autoload else "without") + " plugin autoload)",
        "",
        "| level | top-1 | top-3 | top-5 |",
        "| --- | --- | --- | --- |",
    ]
    for label, attr in (("line", "line_rank"), ("function", "function_rank")):
        cells = " | ".join(f"{top(results, attr, k):.0f}%" for k in KS)
        lines.append(f"| {label} | {cells} |")
    lines += [
        "",
        f"Cost of localization / one plain pytest run of the same test files: median "
        f"**{statistics.median(ratios):.2f}x** (min {min(ratios):.2f}x, max {max(ratios):.2f}x);"
        f" median plain run {statistics.median(r.plain for r in results):.2f} s, median "
        f"localization {statistics.median(r.localize for r in results):.2f} s.",
        "",
        "| program | fault kind | line rank | function rank | method | plain s | localize s |"
        " ratio |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    if args.split == "heldout":  # nobody reads the held-out programs' results one by one
        lines[-2:] = ["Per-program rows are not written for the held-out split."]
    for r in results if args.split != "heldout" else []:
        lines.append(
            f"| {r.name} | {r.fault_kind} | {r.line_rank or '-'} | {r.function_rank or '-'} | "
            f"{r.method} | {r.plain:.2f} | {r.localize:.2f} | {r.ratio:.2f} |"
        )
    return "\n".join(lines) + "\n"


REAL_BUGS = REPO / "benchmarks" / "real_bugs"


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


class _SpectrumRuns:
    """``run_spectrum`` for one bug: each run it made or reused (``--cache DIR``: kept
    in the bug's directory, relative to it, see spectrum_cache.py; the accept tests'
    run as ``spectrum.pickle``, another, such as the extra tests' run, under a key of
    its targets)."""

    def __init__(self, cache: Path | None, primary: Sequence[str]) -> None:
        self._real = _ORIGINAL_RUN_SPECTRUM
        self._cache = cache
        self._primary = list(primary)
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
                             task.accept_test_files or task.accept_tests)
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


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


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
        f"{statistics.median(secs):.1f} s, p90 {_p90(secs):.1f} s, max {max(secs):.1f} s;"
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

    results = []
    wanted = [w for w in args.only.split(",") if w] or [""]
    for bug in load_manifest(split=args.split):
        if not any(w in bug.id for w in wanted) or bug.project in args.exclude.split(","):
            continue
        try:
            r = measure_real(bug.id, settings, args.subject, args.cache)
        except bench_cache.CacheError as exc:
            raise SystemExit(f"--cache: {exc}") from None
        if args.split == "check":  # counts only: no bug's ranks on the console either
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


def ablate(without: str, weights: list[str]) -> None:
    """Switch off rules of the ranking, or set a weight of localize/_signals.py (in this
    process: the ranking runs here, not in the coverage run)."""
    from pytest_agent.localize import _signals

    for assignment in weights:
        name, _, value = assignment.partition("=")
        if not name.startswith("W_") or not hasattr(_signals, name):
            raise SystemExit(f"--set: no weight {name!r} in localize/_signals.py")
        setattr(_signals, name, float(value))
    for rule in filter(None, (w.strip() for w in without.split(","))):
        if rule == "every-test":
            _signals.EVERY_TEST = 1.0
        elif rule == "constants":
            _signals.W_READS_CONSTANT = 0.0
        else:
            raise SystemExit(f"--without: unknown rule {rule!r} (every-test, constants)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formula", choices=("ochiai", "dstar"), default="ochiai")
    parser.add_argument("--autoload", action="store_true",
                        help="let child pytest runs load every installed plugin")
    parser.add_argument("--no-write", action="store_true", help="print, do not write RESULTS.md")
    parser.add_argument("-k", dest="only", default="", help="only programs whose name has this")
    parser.add_argument("--corpus", choices=("seeded", "real"), default="seeded",
                        help="benchmarks/corpus (seeded faults) or benchmarks/real_bugs")
    parser.add_argument("--split", choices=("tuned", "heldout", "study", "check", "all"),
                        default="tuned",
                        help="seeded: the programs of this split (meta.json; tuned: l*/o*);"
                        " real bugs: this split of bugs.json (heldout: projects nobody"
                        " tunes on, run at the end; writes RESULTS-real-heldout.md; study:"
                        " projects whose misses are read, RESULTS-real-study.md with"
                        " per-bug rows; check (real bugs only): counts only,"
                        " RESULTS-real-check.md without per-bug rows)")
    parser.add_argument("--subject", action="store_true",
                        help="real bugs: the description gives the fix commit's subject")
    parser.add_argument("--set", action="append", default=[], metavar="W_NAME=VALUE",
                        help="a weight of localize/_signals.py for this run (ablation)")
    parser.add_argument("--dump", default="", help="real bugs: write each ranking to this JSON")
    parser.add_argument("--exclude", default="",
                        help="real bugs: leave out these projects (comma-separated; the"
                             " report says so)")
    parser.add_argument("--test-timeout", type=float, default=60.0,
                        help="the settings' test_timeout (the coverage run may take 1.5x it)")
    parser.add_argument("--cache", default="",
                        help="real bugs: keep each bug, its baseline and its coverage run in"
                             " this directory and reuse them (only the ranking runs again;"
                             " a reused bug's time is the ranking's plus the time its"
                             " coverage run took when it ran; paths are stored relative to"
                             " the bug's directory, so a copied or moved cache keeps its"
                             " coverage, see spectrum_cache.py)")
    parser.add_argument("--extra-seconds", type=float, default=None,
                        help="the settings' localize_extra_tests_seconds (passing tests of"
                             " other test files added to the spectrum; 0: off); with --cache"
                             " their run is kept too, so 0 re-ranks the same accept-files run"
                             " without them")
    parser.add_argument("--without", default="",
                        help="ablation, comma-separated: every-test (lines every test runs keep"
                             " their score), constants (no module-constant signal)")
    parser.add_argument("--mutation", type=float, default=0.0, metavar="SECONDS",
                        help="the mutation signal's budget per bug (localize_mutation_seconds;"
                             " 0: off); with --cache its runs are kept and reused")
    parser.add_argument("--mutation-weight", type=float, default=1.0,
                        help="localize_mutation_weight")
    args = parser.parse_args()
    if args.split == "check" and args.corpus != "real":
        parser.error("--split check is a split of the real bugs: add --corpus real")
    ablate(args.without, args.set)
    if args.autoload:
        os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    else:
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ.pop("PYTEST_PLUGINS", None)
    settings = AgentSettings(localize_formula=args.formula, test_timeout=args.test_timeout,
                             localize_mutation_seconds=args.mutation,
                             localize_extra_tests_seconds=settings_extra(args),
                             localize_mutation_weight=args.mutation_weight)
    if args.corpus == "real":
        return main_real(args, settings)
    results = []
    for program in programs(args.split):
        if args.only not in program.name:
            continue
        r = measure(program, settings, args.runs)
        print(f"{r.name:28} line {r.line_rank!s:>4}  function {r.function_rank!s:>4}  "
              f"{r.method:20} ratio {r.ratio:.2f}", flush=True)
        results.append(r)
    text = report(results, args)
    print(text)
    if not args.no_write and not args.only:
        name = "RESULTS.md" if args.split == "tuned" else f"RESULTS-seeded-{args.split}.md"
        (HERE / name).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
