"""Fit the localization signals' weights with leave-one-project-out cross-validation (#17).

The ranking (pytest_agent/localize/_rank.py) adds about twenty signals with fixed
weights (the ``W_*`` of localize/_signals.py and ``W_STATEMENT`` of _statements.py).
This script re-ranks cached coverage runs (``benchmarks/localize/run.py --cache DIR``)
under other weights without running anything again:

1. **capture**: each cached bug is localized once, as run.py does, with the ranker's
   ``add_line``/``add_function`` (whose ``kind`` names the weight a value is a
   multiple of) and the non-linear steps wrapped: the "strongest of three" of the
   checked-value evidence, the module constants (a share of the best reader's
   total), the crash order (what a crash site lacks to lead its callers). Every
   candidate function's contributions per signal kind are kept, with what the
   final order's tie-breaks read (delegation, failing tests that ran it, the mean
   of its lines, path, first line).
2. **replay**: a ranking under other weights is recomputed in memory from that
   ledger. With the current weights it must give every bug's rank of the function
   the developer changed exactly as the real ranking did (checked and reported).
3. **fit**: leave-one-project-out cross-validation over the projects of the
   captured splits: fit on all projects but one, rank the one left out. The fit is a
   coordinate search over a few multiplicative factors of each weight, on top-1
   (the count of bugs whose main changed function is ranked first), ties broken by
   a pairwise loss (softplus of how far the best other function is above the
   changed one), starting from the current weights and moving only on a strict
   improvement: with ~20 parameters it cannot memorize single bugs.

Never run on the held-out split. ``--check DIR`` (the miner's check split) prints
counts only (top-1/3/5 of the current and the fitted weights), no per-bug line.

    python benchmarks/localize/fit.py --cache tuned=/tmp/fit-tuned \\
        --cache study=/tmp/loc-cache-st7 [--check /work/cache/check] [--out fit.json]

Caches are read only (nothing is materialized or written in them).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import pickle
import sys
import time
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
REAL_BUGS = REPO / "benchmarks" / "real_bugs"
sys.path.insert(0, str(REPO))

from pytest_agent._types import Task  # noqa: E402
from pytest_agent._types import Workspace  # noqa: E402
from pytest_agent.localize import _rank  # noqa: E402
from pytest_agent.localize import _signals  # noqa: E402
from pytest_agent.localize import _statements  # noqa: E402
from pytest_agent.localize import _values  # noqa: E402
from pytest_agent.localize._coverage import without_false_hangs  # noqa: E402
from pytest_agent.localize._functions import MODULE  # noqa: E402
from pytest_agent.localize._functions import read_module  # noqa: E402
from pytest_agent.localize._ranker import MAX_FUNCTIONS  # noqa: E402
from pytest_agent.localize._ranker import Ranker  # noqa: E402
from pytest_agent.settings import AgentSettings  # noqa: E402

Key = tuple[str, str]  # (path, qualname) of a function
KS = (1, 3, 5)
#: Kinds whose value the replay computes itself (non-linear steps).
_DERIVED = ("strongest", "W_READS_CONSTANT", "crash_order")
#: The crash order's margin (localize/_signals.crash_order).
_CRASH_MARGIN = 0.001


def current_weights() -> dict[str, float]:
    """The weights as the product has them now."""
    found = {name: float(getattr(_signals, name)) for name in dir(_signals)
             if name.startswith("W_") and isinstance(getattr(_signals, name), float)}
    found["W_STATEMENT"] = float(_statements.W_STATEMENT)
    found["W_CHANGED_STATE"] = float(_statements.W_CHANGED_STATE)
    # The round-7 signals of their own modules (kinds ``W_VALUE_*`` and ``arc``); 0,
    # their default, adds nothing in the product and nothing in the replay.
    found.update({name: float(getattr(_values, name)) for name in dir(_values)
                  if name.startswith("W_VALUE_") and isinstance(getattr(_values, name), float)})
    found["arc"] = AgentSettings().localize_arc_weight
    found["sbfl"] = 1.0
    return found


# -- 1. capture ------------------------------------------------------------------------


@dataclass
class Ledger:
    """One bug's ranking, taken apart."""

    bug: str
    project: str
    split: str
    #: (path, line) -> {kind: coefficient} (value = weight x coefficient).
    lines: dict[tuple[str, int], dict[str, float]] = field(default_factory=dict)
    #: function -> {kind: coefficient} of its bonus.
    bonus: dict[Key, dict[str, float]] = field(default_factory=dict)
    #: "strongest of three" groups: (function, {kind: coefficient}): the max counts.
    groups: list[tuple[Key, dict[str, float]]] = field(default_factory=list)
    #: Module constants: (module, reading function, the constant's line) in order.
    constants: list[tuple[str, Key, int]] = field(default_factory=list)
    #: Crashes: (crash site, callers, whether the site had a score then).
    crashes: list[tuple[Key, tuple[Key, ...], bool]] = field(default_factory=list)
    #: Per function: (thin, ef, executed lines with no score, first line or None for
    #: module level, mark).
    functions: dict[Key, tuple[bool, int, int, int | None, int | None]] = field(
        default_factory=dict)
    #: The function each scored line belongs to.
    owner: dict[tuple[str, int], Key] = field(default_factory=dict)
    #: Operators per line of module-level code (its location's line tie-break).
    complexity: dict[tuple[str, int], int] = field(default_factory=dict)
    #: Functions that count as the main changed one / as any changed one.
    main: set[Key] = field(default_factory=set)
    changed: set[Key] = field(default_factory=set)
    #: The real ranking's first functions and the main changed function's rank there.
    real_top: list[Key] = field(default_factory=list)
    real_rank: int | None = None
    #: Order of the recorded steps (checked: constants come after every linear
    #: signal, crashes last).
    steps: list[str] = field(default_factory=list)


_CURRENT: list[Ledger] = []


def _coef(kind: str, value: float, weights: dict[str, float]) -> float:
    if kind == "sbfl":
        return value
    weight = weights[kind]
    return value / weight if weight else 0.0


def _add(table: dict[str, float], kind: str, coef: float) -> None:
    table[kind] = table.get(kind, 0.0) + coef


def _wrap_add_line(original: Any, weights: dict[str, float]) -> Any:
    def add_line(self: Ranker, rel: str, line: int, value: float, why: str,
                 kind: str = "") -> None:
        if not kind:
            raise SystemExit(f"add_line without a kind ({why!r}): fit.py cannot replay it")
        if kind not in _DERIVED:
            _CURRENT[-1].steps.append("linear")
            _add(_CURRENT[-1].lines.setdefault((rel, line), {}), kind,
                 _coef(kind, value, weights))
        original(self, rel, line, value, why, kind=kind)
    return add_line


def _wrap_add_function(original: Any, weights: dict[str, float]) -> Any:
    def add_function(self: Ranker, rel: str, span: Any, value: float, why: str,
                     kind: str = "") -> None:
        if not kind:
            raise SystemExit(f"add_function without a kind ({why!r}): fit.py cannot replay it")
        if kind not in _DERIVED:
            key = (rel, span.qualname if span is not None else MODULE)
            _CURRENT[-1].steps.append("linear")
            _add(_CURRENT[-1].bonus.setdefault(key, {}), kind, _coef(kind, value, weights))
        original(self, rel, span, value, why, kind=kind)
    return add_function


def _wrap_flush(original: Any, weights: dict[str, float]) -> Any:
    def flush(self: _signals.TracebackSignals) -> None:
        for key, (_, kinds, _) in sorted(self._pending.items()):
            _CURRENT[-1].steps.append("linear")
            _CURRENT[-1].groups.append(
                (key, {k: _coef(k, v, weights) for k, v in kinds.items()}))
        original(self)
    return flush


def _wrap_constants(original: Any, weights: dict[str, float]) -> Any:
    def constant_signal(ranker: Ranker) -> None:
        totals = ranker.function_totals()
        _CURRENT[-1].steps.append("constants")
        _CURRENT[-1].constants = [(rel, (rel, name), line) for rel, name, line, _
                                  in _signals.constant_readers(ranker, totals)]
        original(ranker)
    return constant_signal


def _wrap_crashes(original: Any, weights: dict[str, float]) -> Any:
    def crash_order(ranker: Ranker, found: Any) -> None:
        found = list(found)
        ranker.function_totals()  # as crash_order's first step: every scored function
        _CURRENT[-1].steps.append("crashes")
        _CURRENT[-1].crashes = [(site, tuple(callers), site in ranker.functions)
                                for site, callers in found]
        original(ranker, found)
    return crash_order


def _wrap_ranking(original: Any, weights: dict[str, float]) -> Any:
    def ranking(self: Ranker, method: str) -> Any:
        result = original(self, method)
        _snapshot(self, _CURRENT[-1])
        return result
    return ranking


@contextlib.contextmanager
def recording() -> Iterator[None]:
    """Wrap the ranker and the non-linear steps so that each localization fills the
    ledger at ``_CURRENT[-1]``."""
    weights = current_weights()
    patches = [(Ranker, "add_line", _wrap_add_line),
               (Ranker, "add_function", _wrap_add_function),
               (Ranker, "ranking", _wrap_ranking),
               (_signals.TracebackSignals, "_flush_checked", _wrap_flush),
               (_rank, "constant_signal", _wrap_constants),
               (_rank, "crash_order", _wrap_crashes)]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    for owner, name, make in patches:
        setattr(owner, name, make(getattr(owner, name), weights))
    try:
        yield
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)


def _snapshot(ranker: Ranker, ledger: Ledger) -> None:
    for rel, line in ranker.line_score:
        ledger.owner[(rel, line)] = (rel, ranker.function_at(rel, line).name)
    ef: dict[Key, int] = {}
    for (rel, line), n in ranker.line_ef.items():
        key = (rel, ranker.function_at(rel, line).name)
        ef[key] = max(ef.get(key, 0), n)
    for key, fs in ranker.functions.items():
        span = fs.span
        thin = span is not None and not span.is_class and ranker.delegates(fs.path, span)
        zeros = 0
        if span is not None:
            zeros = sum(1 for n in ranker.executed.get(fs.path, ())
                        if span.contains(n) and (fs.path, n) not in ranker.line_score)
        ledger.functions[key] = (thin, ef.get(key, 0), zeros,
                                 span.start if span is not None else None, fs.mark)
        if span is None:
            info = ranker.module(fs.path)
            count = len(info.lines) if info is not None else 0
            for n in range(1, count + 1):
                ledger.complexity[(fs.path, n)] = ranker.complexity(fs.path, n)


def _load_bug(cache: Path, bug_id: str) -> tuple[Path, Any, Any, dict[str, Any]]:
    """The cached bug's checkout, baseline, coverage run and meta.json (read only)."""
    root = cache / bug_id / bug_id
    meta_file = root / "meta.json"
    spectrum_file = cache / bug_id / "spectrum.pickle"
    baseline_file = cache / bug_id / "baseline.pickle"
    for needed in (meta_file, spectrum_file, baseline_file):
        if not needed.is_file():
            raise SystemExit(f"{needed}: not in the cache (build it with benchmarks/localize/"
                             f"run.py --corpus real --cache {cache})")
    sys.path.insert(0, str(HERE))
    import spectrum_cache  # run.py's cache format (both versions), read only

    return (root, spectrum_cache.load(baseline_file), spectrum_cache.load(spectrum_file),
            json.loads(meta_file.read_text()))


def _targets(root: Path, meta: dict[str, Any], keys: Sequence[Key]) -> list[set[Key]]:
    """Per changed function, the ranked functions that count as it (run.py's rule)."""
    sys.path.insert(0, str(HERE))
    from real_corpus import _matches  # the benchmark's own matching

    found = []
    for change in meta["changed"]:
        info = read_module(root / change["file"])
        spans = {s.qualname for s in info.spans} if info else set()
        found.append({k for k in keys if _matches(k[0], k[1], change["file"],
                                                  change["function"], spans)})
    return found


def capture(cache: Path, split: str, bug_id: str, project: str) -> Ledger:
    root, baseline, spectrum, meta = _load_bug(cache, bug_id)
    tests = ", ".join(t.rsplit("::", 1)[-1] for t in meta["accept_tests"][:4])
    task = Task(id=bug_id, description=f"Make the failing tests pass: {tests}",
                accept_tests=tuple(meta["accept_tests"]))
    ws = Workspace(root=root, branch="agent/x", base_commit="0" * 40, repo_root=root)
    ledger = Ledger(bug_id, project, split)
    # The ranking as run_localization calls it, on the cached run (no test runs: the
    # extra tests' run and the mutation signal are off by default and not fitted here).
    spectrum = without_false_hangs(spectrum, baseline)
    targets = task.accept_test_files or task.accept_tests
    test_files = [str((ws.test_root / t.split("::", 1)[0]).resolve()) for t in targets]
    _CURRENT.append(ledger)
    try:
        found = _rank.rank(root, task, spectrum, baseline, "ochiai", test_files, ws.test_root,
                           arc_weight=AgentSettings().localize_arc_weight)
    finally:
        _CURRENT.pop()
    ledger.real_top = [(loc.path, loc.function) for loc in found.functions]
    targets = _targets(root, meta, list(ledger.functions))
    ledger.main = targets[0]
    ledger.changed = set().union(*targets)
    ledger.real_rank = next((i for i, k in enumerate(ledger.real_top, 1)
                             if k in ledger.main), None)
    return ledger


#: bugs.json to read the splits from (``--manifest``; default: this checkout's).
MANIFEST: list[Path] = []


def capture_split(cache: Path, split: str) -> list[Ledger]:
    sys.path.insert(0, str(REAL_BUGS))
    from materialize import MANIFEST as DEFAULT_MANIFEST
    from materialize import load_manifest

    ledgers = []
    with recording():
        for bug in load_manifest(*(MANIFEST or [DEFAULT_MANIFEST]), split=split):
            if (cache / bug.id).is_dir():
                ledgers.append(capture(cache, split, bug.id, bug.project))
    return ledgers


# -- 2. replay -------------------------------------------------------------------------


@dataclass
class Compiled:
    """A ledger arranged for fast re-ranking: the lines whose score depends on the
    weights apart, the lines of the spectrum alone folded per function."""

    ledger: Ledger
    #: Per function: best / sum / count of its spectrum-only lines.
    fixed: dict[Key, tuple[float, float, int]]
    #: The other lines: (line, owner, {kind: coefficient}).
    varying: list[tuple[tuple[str, int], Key, dict[str, float]]]
    #: Spectrum-only lines of module-level code, per module.
    module_lines: dict[Key, list[tuple[str, int]]]


def compile_ledger(ledger: Ledger) -> Compiled:
    fixed: dict[Key, tuple[float, float, int]] = {}
    varying = []
    module_lines: dict[Key, list[tuple[str, int]]] = {}
    constant_lines = {(rel, line) for rel, _, line in ledger.constants}
    for line, kinds in ledger.lines.items():
        owner = ledger.owner[line]
        if set(kinds) == {"sbfl"} and line not in constant_lines:
            best, total, count = fixed.get(owner, (-math.inf, 0.0, 0))
            score = kinds["sbfl"]
            fixed[owner] = (max(best, score), total + score, count + 1)
            if owner[1] == MODULE:
                module_lines.setdefault(owner, []).append(line)
        else:
            varying.append((line, owner, kinds))
    return Compiled(ledger, fixed, varying, module_lines)


def _dot(kinds: dict[str, float], weights: dict[str, float]) -> float:
    return sum(weights[k] * c for k, c in kinds.items())


@dataclass
class _State:
    #: Best line score per function (the spectrum-only lines' and the others').
    best: dict[Key, float]
    bonus: dict[Key, float]
    #: Scores of the lines that are not spectrum-only, and their owners.
    lines: dict[tuple[str, int], float]
    owner: dict[tuple[str, int], Key]

    def total(self, key: Key) -> float:
        """As ``Ranker.function_totals``: the best line (at least 0) plus the bonus."""
        return max(self.best.get(key, 0.0), 0.0) + self.bonus.get(key, 0.0)


def _linear(c: Compiled, w: dict[str, float]) -> _State:
    led = c.ledger
    m = w["sbfl"]  # the spectrum's multiplier (1 in the product)
    state = _State({key: f[0] * m for key, f in c.fixed.items()},
                   {key: _dot(k, w) for key, k in led.bonus.items()}, {}, {})
    for key, kinds in led.groups:  # the strongest of three, per failing record
        state.bonus[key] = state.bonus.get(key, 0.0) + max(w[k] * v for k, v in kinds.items())
    for line, owner, kinds in c.varying:
        state.lines[line] = _dot(kinds, w)
        state.owner[line] = owner
        state.best[owner] = max(state.best.get(owner, -math.inf), state.lines[line])
    return state


def _constants(c: Compiled, w: dict[str, float], state: _State) -> None:
    """Module constants: the first best reader of each module (constant_signal)."""
    chosen: dict[str, tuple[float, int]] = {}
    for rel, reader, line in c.ledger.constants:
        value = state.total(reader) * w["W_READS_CONSTANT"]
        if value > chosen.get(rel, (0.0, 0))[0]:
            chosen[rel] = (value, line)
    for rel, (value, line) in sorted(chosen.items()):
        key = (rel, line)
        owner = c.ledger.owner.get(key, (rel, MODULE))
        state.lines[key] = state.lines.get(key, 0.0) + value
        state.owner[key] = owner
        state.best[owner] = max(state.best.get(owner, -math.inf), state.lines[key])


def _crashes(c: Compiled, state: _State) -> None:
    """A crash site gets what it lacks to lead its callers, plus a margin (crash_order)."""
    sites = {site for site, _, _ in c.ledger.crashes}
    for site, callers, known in c.ledger.crashes:
        if not known:
            continue
        lead = max((state.total(k) for k in callers if k not in sites), default=0.0)
        missing = lead - state.total(site)
        if missing >= 0:
            state.bonus[site] = state.bonus.get(site, 0.0) + missing + _CRASH_MARGIN


def ranked(c: Compiled, w: dict[str, float]) -> tuple[list[Key], dict[Key, float]]:
    """Every candidate function in the product's final order (``Ranker.ranking``), and
    its score."""
    state = _linear(c, w)
    _constants(c, w, state)
    _crashes(c, state)
    led = c.ledger
    sums = {key: (f[1] * w["sbfl"], f[2]) for key, f in c.fixed.items()}
    for line, score in state.lines.items():
        s, n = sums.get(state.owner[line], (0.0, 0))
        sums[state.owner[line]] = (s + score, n + 1)
    rows = []
    score_of = {}
    for key, (thin, ef, zeros, start, mark) in led.functions.items():
        bonus = state.bonus.get(key, 0.0)
        best = state.best.get(key, -math.inf)
        total = best + bonus if best > -math.inf else bonus
        score_of[key] = total
        s, n = sums.get(key, (0.0, 0))
        mean = s / (n + zeros) if n + zeros else 0.0
        if start is None:
            start = _module_line(c, key, state, bonus, w["sbfl"]) or mark or 1
        rows.append(((-round(total, 9), thin, mark is None, -ef, -round(mean, 9), key[0],
                      start), key))  # a class lacking a member (mark) first at a tie
    rows.sort()
    return [key for _, key in rows], score_of


def _module_line(c: Compiled, key: Key, state: _State, bonus: float, m: float) -> int:
    """The line a module-level location shows: its best line (then more operators)."""
    scores = {line: c.ledger.lines[line]["sbfl"] * m for line in c.module_lines.get(key, ())
              if line not in state.lines}
    scores.update({line: v for line, v in state.lines.items() if state.owner[line] == key})
    if not scores:
        return 0
    return min(scores.items(), key=lambda lv: (-round(lv[1] + bonus, 9),
                                               -c.ledger.complexity.get(lv[0], 0),
                                               lv[0][1]))[0][1]


def rank_of(c: Compiled, w: dict[str, float], targets: set[Key] | None = None
            ) -> tuple[int | None, float]:
    """The main changed function's rank (None: not among the first MAX_FUNCTIONS) and
    the pairwise loss: softplus of how far the best other function is above it."""
    order, score = ranked(c, w)
    targets = c.ledger.main if targets is None else targets
    rank = next((i for i, k in enumerate(order, 1) if k in targets), None)
    if rank is None:
        return None, 0.0  # never scored: no weight can lift it
    target = max(score[k] for k in targets if k in score)
    other = max((score[k] for k in order if k not in targets), default=-math.inf)
    gap = (other - target) / _TAU
    loss = gap + math.log1p(math.exp(-gap)) if gap > 0 else math.log1p(math.exp(gap))
    return (rank if rank <= MAX_FUNCTIONS else None), loss


#: The pairwise loss's temperature (score units: a step of the weights' size).
_TAU = 0.05


# -- 3. fit ----------------------------------------------------------------------------

#: Factors of a weight's current value that the coordinate search tries.
GRID = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)
#: The spectrum's multiplier: a coarser grid (it moves every other signal at once).
SBFL_GRID = (0.5, 0.75, 1.0, 1.5, 2.0)


@dataclass
class Figures:
    ranks: list[int | None]
    loss: float

    def top(self, k: int) -> int:
        return sum(1 for r in self.ranks if r is not None and r <= k)

    def cells(self) -> str:
        n = len(self.ranks)
        return " / ".join(f"{self.top(k)} ({100 * self.top(k) / n:.0f}%)" for k in KS) \
            if n else "-"


def evaluate(bugs: Sequence[Compiled], w: dict[str, float]) -> Figures:
    ranks, loss = [], 0.0
    for c in bugs:
        rank, one = rank_of(c, w)
        ranks.append(rank)
        loss += one
    return Figures(ranks, loss)


def fired(bugs: Sequence[Compiled]) -> dict[str, int]:
    """In how many bugs each kind contributes to a candidate function."""
    count: dict[str, int] = {}
    for c in bugs:
        kinds = {k for line in c.ledger.lines.values() for k, v in line.items() if v}
        kinds |= {k for b in c.ledger.bonus.values() for k, v in b.items() if v}
        kinds |= {k for _, g in c.ledger.groups for k, v in g.items() if v}
        if c.ledger.constants:
            kinds.add("W_READS_CONSTANT")
        for k in kinds:
            count[k] = count.get(k, 0) + 1
    return count


def coordinate_search(bugs: Sequence[Compiled], w0: dict[str, float],
                      params: Sequence[str], loss_moves: bool = True,
                      passes: int = 3) -> dict[str, float]:
    """From the current weights, one weight at a time over GRID x its current value;
    a move is taken only when it raises top-1, or (``loss_moves``) keeps it and lowers
    the pairwise loss by more than 0.1%."""
    w = dict(w0)
    now = evaluate(bugs, w)
    for _ in range(passes):
        moved = False
        for p in params:
            for factor in SBFL_GRID if p == "sbfl" else GRID:
                value = w0[p] * factor
                if value == w[p]:
                    continue
                trial = {**w, p: value}
                got = evaluate(bugs, trial)
                if got.top(1) > now.top(1) or (loss_moves and got.top(1) == now.top(1)
                                               and got.loss < now.loss * 0.999):
                    w, now, moved = trial, got, True
        if not moved:
            break
    return w


#: The logistic fit: competitors per bug, the regularization toward the start, the
#: linearizations (outer rounds) and gradient steps per round.
_COMPETITORS = 10
_ROUNDS = 6
_STEPS = 150


@dataclass
class _Pairs:
    """One bug linearized at the weights ``w``: score = offset + w . features, for the
    changed function and its competitors (the first others of the order)."""

    target: tuple[float, list[float]]
    others: list[tuple[float, list[float]]]


def _linearize(c: Compiled, w: dict[str, float], params: Sequence[str]) -> _Pairs | None:
    order, score = ranked(c, w)
    targets = [k for k in order if k in c.ledger.main]
    if not targets:
        return None
    slopes: dict[str, dict[Key, float]] = {}
    for p in params:  # one-sided slopes: the scores are piecewise linear in each weight
        step = w[p] * 1e-4
        moved = ranked(c, {**w, p: w[p] + step})[1]
        slopes[p] = {k: (moved[k] - score[k]) / step for k in score}

    def row(key: Key) -> tuple[float, list[float]]:
        feats = [slopes[p][key] for p in params]
        return score[key] - sum(w[p] * f for p, f in zip(params, feats, strict=True)), feats

    rivals = [k for k in order if k not in c.ledger.main][:_COMPETITORS]
    return _Pairs(row(targets[0]), [row(k) for k in rivals])


def _logistic_step(pairs: Sequence[_Pairs], start: dict[str, float], theta: list[float],
                   params: Sequence[str], lam: float) -> tuple[float, list[float]]:
    """The loss and its gradient in ``theta`` (w = start x exp(theta)): per bug the mean
    softplus of (other - changed) / tau over its competitors, plus lam x |theta|^2."""
    w = [start[p] * math.exp(t) for p, t in zip(params, theta, strict=True)]
    loss = lam * sum(t * t for t in theta)
    grad = [2 * lam * t for t in theta]
    for bug in pairs:
        t_off, t_feat = bug.target
        t_score = t_off + sum(a * b for a, b in zip(w, t_feat, strict=True))
        for off, feat in bug.others:
            z = (off + sum(a * b for a, b in zip(w, feat, strict=True)) - t_score) / _TAU
            loss += (z + math.log1p(math.exp(-z)) if z > 0 else math.log1p(math.exp(z))) \
                / len(bug.others) / len(pairs)
            sig = 1 / (1 + math.exp(-z)) if z > -30 else 0.0
            scale = sig / _TAU / len(bug.others) / len(pairs)
            for i, (a, b) in enumerate(zip(feat, t_feat, strict=True)):
                grad[i] += scale * (a - b) * w[i]
    return loss, grad


def logistic_fit(bugs: Sequence[Compiled], start: dict[str, float], params: Sequence[str],
                 lam: float) -> dict[str, float]:
    """Regularized pairwise logistic regression toward ``start`` (log-weights, L2): the
    scores are linearized at the current estimate, fitted by gradient descent with a
    halving step, and linearized again (``_ROUNDS`` times)."""
    theta = [0.0] * len(params)
    for _ in range(_ROUNDS):
        w = {**start, **{p: start[p] * math.exp(t) for p, t in zip(params, theta, strict=True)}}
        pairs = [x for x in (_linearize(c, w, params) for c in bugs) if x is not None]
        pairs = [x for x in pairs if x.others]
        rate = 1.0
        loss, grad = _logistic_step(pairs, start, theta, params, lam)
        for _ in range(_STEPS):
            trial = [t - rate * g for t, g in zip(theta, grad, strict=True)]
            got, got_grad = _logistic_step(pairs, start, trial, params, lam)
            if got < loss:
                theta, loss, grad, rate = trial, got, got_grad, rate * 1.2
            else:
                rate /= 2
                if rate < 1e-6:
                    break
    return {**start, **{p: start[p] * math.exp(t) for p, t in zip(params, theta, strict=True)}}


def lopo(bugs: Sequence[Compiled], w0: dict[str, float], params: Sequence[str],
         fit: Callable[[Sequence[Compiled]], dict[str, float]]
         ) -> tuple[list[int | None], dict[str, dict[str, float]]]:
    """Leave one project out: each project's bugs ranked under the weights fitted on
    the other projects' bugs. Returns the ranks (in ``bugs``' order) and each fold's
    weights."""
    ranks: list[int | None] = [None] * len(bugs)
    folds: dict[str, dict[str, float]] = {}
    for project in sorted({c.ledger.project for c in bugs}):
        train = [c for c in bugs if c.ledger.project != project]
        w = fit(train)
        folds[project] = w
        for i, c in enumerate(bugs):
            if c.ledger.project == project:
                ranks[i] = rank_of(c, w)[0]
        print(f"  fold {project:16} {_changed(w, w0)}", flush=True)
    return ranks, folds


def _changed(w: dict[str, float], w0: dict[str, float]) -> str:
    moved = [f"{k}={w[k]:g}" for k in sorted(w) if w[k] != w0[k]]
    return ", ".join(moved) or "(the current weights)"


def verify(bugs: Sequence[Compiled], w0: dict[str, float]) -> list[str]:
    """Bugs whose replay under the current weights differs from the real ranking."""
    wrong = []
    for c in bugs:
        steps = list(dict.fromkeys(c.ledger.steps))
        if steps != ["linear", "constants", "crashes"]:
            wrong.append(f"{c.ledger.bug}: steps in another order ({steps}): the replay "
                         "assumes linear signals, then constants, then the crash order")
            continue
        order, _ = ranked(c, w0)
        rank = rank_of(c, w0)[0]
        if rank != c.ledger.real_rank:
            wrong.append(f"{c.ledger.bug}: rank {rank} replayed, {c.ledger.real_rank} real")
        elif order[:len(c.ledger.real_top)] != c.ledger.real_top:
            wrong.append(f"{c.ledger.bug}: same rank, another order of the first functions")
    return wrong


def _load_ledgers(specs: Sequence[str], stored: str) -> list[Ledger]:
    if stored and Path(stored).is_file():  # plain dicts: the script's module name varies
        return [Ledger(**fields) for fields in pickle.loads(Path(stored).read_bytes())]
    ledgers = []
    for spec in specs:
        split, _, path = spec.partition("=")
        if not path or not Path(path).is_dir():
            raise SystemExit(f"--cache {spec!r}: expected SPLIT=DIR with DIR a run.py cache")
        started = time.monotonic()
        got = capture_split(Path(path), split)
        print(f"captured {len(got)} {split} bugs from {path} in "
              f"{time.monotonic() - started:.0f} s", flush=True)
        ledgers += got
    if stored:
        Path(stored).write_bytes(pickle.dumps([vars(x) for x in ledgers]))
    return ledgers


def _by_split(bugs: Sequence[Compiled], ranks: Sequence[int | None]) -> dict[str, Figures]:
    found: dict[str, Figures] = {}
    for c, r in zip(bugs, ranks, strict=True):
        found.setdefault(c.ledger.split, Figures([], 0.0)).ranks.append(r)
    found["all"] = Figures(list(ranks), 0.0)
    return found


def _spread(folds: dict[str, dict[str, float]], params: Sequence[str]) -> dict[str, str]:
    spread = {}
    for p in params:
        values = sorted(w[p] for w in folds.values())
        spread[p] = f"{values[0]:g} .. {values[len(values) // 2]:g} .. {values[-1]:g}"
    return spread


def _sign_test(won: int, lost: int) -> float:
    """P(at least ``won`` of ``won + lost`` discordant bugs favour the fit by chance)."""
    n = won + lost
    return sum(math.comb(n, i) for i in range(won, n + 1)) / 2**n if n else 1.0


def sensitivity(bugs: Sequence[Compiled], w0: dict[str, float], params: Sequence[str]
                ) -> None:
    """Top-1 with one weight at a time moved to each factor of GRID (the rest current)."""
    print("\n| weight (acts on bugs) | top-1 at x" + " | x".join(f"{f:g}" for f in GRID)
          + " |\n| --- |" + " --- |" * len(GRID))
    counts = fired(bugs)
    for p in params:
        grid = SBFL_GRID if p == "sbfl" else GRID
        cells = {f: evaluate(bugs, {**w0, p: w0[p] * f}).top(1) for f in grid}
        print(f"| {p} ({counts.get(p, 0)}) | "
              + " | ".join(str(cells.get(f, "")) for f in GRID) + " |")


def reachable(bugs: Sequence[Compiled], w0: dict[str, float], params: Sequence[str]
              ) -> None:
    """How many misses some weights put first: the search run on each miss alone (a
    bound on what any weighting can do, per bug, not one weighting for all)."""
    misses = [c for c in bugs if rank_of(c, w0)[0] != 1]
    scored = [c for c in misses if rank_of(c, w0)[0] is not None]
    lifted = [c for c in scored if rank_of(c, coordinate_search([c], w0, params))[0] == 1]
    print(f"\nmisses under the current weights: {len(misses)} ({len(misses) - len(scored)} not"
          f" among the first {MAX_FUNCTIONS}); some weights (searched per bug) put "
          f"{len(lifted)} of them first; the other {len(misses) - len(lifted)} no weights"
          " tried do")


def check_counts(path: str, w0: dict[str, float], fitted: dict[str, dict[str, float]]
                 ) -> None:
    """The check split: counts only (no per-bug line is printed or kept)."""
    bugs = [compile_ledger(x) for x in capture_split(Path(path), "check")]
    agree = len(bugs) - len(verify(bugs, w0))  # how many, never which
    print(f"\ncheck split, {len(bugs)} bugs (counts only; the replay agrees with the real "
          f"ranking on {agree}): current weights {evaluate(bugs, w0).cells()}")
    for name, w in fitted.items():
        print(f"  {name}: {evaluate(bugs, w).cells()}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", action="append", default=[], metavar="SPLIT=DIR",
                        help="a run.py --cache directory of the split (tuned, study)")
    parser.add_argument("--ledgers", default="",
                        help="keep the captured ledgers in this pickle and reuse them")
    parser.add_argument("--check", default="", help="the check split's cache: counts only")
    parser.add_argument("--fitted", action="append", default=[],
                        help="no fit: compare the current weights with the 'fitted' ones of"
                             " this --out file (on the caches and --check; repeatable)")
    parser.add_argument("--manifest", default="",
                        help="the bugs.json that lists the splits (default: this checkout's)")
    parser.add_argument("--min-bugs", type=int, default=3,
                        help="fit only the weights that act on at least this many bugs")
    parser.add_argument("--out", default="", help="write the figures and weights as JSON")
    parser.add_argument("--moves", choices=("top1+loss", "top1"), default="top1+loss",
                        help="coordinate search: move on a top-1 gain, or also on a lower"
                             " pairwise loss at equal top-1 (the default)")
    parser.add_argument("--method", choices=("coordinate", "logistic"), default="coordinate",
                        help="coordinate search on top-1, or a pairwise logistic regression"
                             " regularized toward the start (--lam)")
    parser.add_argument("--lam", type=float, default=0.1,
                        help="logistic: L2 weight on the log-weights' distance to the start")
    parser.add_argument("--start", choices=("current", "uniform"), default="current",
                        help="where the search starts: the current weights, or every"
                             " fitted weight at 0.1 (a start that has not seen these bugs)")
    parser.add_argument("--params", default="",
                        help="fit only these weights (comma-separated; default: every"
                             " weight acting on --min-bugs bugs, and sbfl)")
    return parser


def _report_cv(bugs: Sequence[Compiled], w0: dict[str, float], ranks: list[int | None],
               fitted: dict[str, float]) -> dict[str, dict[str, list[int] | int]]:
    base = _by_split(bugs, evaluate(bugs, w0).ranks)
    cv = _by_split(bugs, ranks)
    full = _by_split(bugs, evaluate(bugs, fitted).ranks)
    print("\n| split | bugs | current weights top-1/3/5 | LOPO-CV fitted | fitted on all"
          " (in-sample) |\n| --- | --- | --- | --- | --- |")
    for split in base:
        print(f"| {split} | {len(base[split].ranks)} | {base[split].cells()} | "
              f"{cv[split].cells()} | {full[split].cells()} |")
    both = list(zip(base["all"].ranks, ranks, strict=True))
    won = sum(1 for a, b in both if b == 1 and a != 1)
    lost = sum(1 for a, b in both if a == 1 and b != 1)
    print(f"\nLOPO-CV against the current weights: {won} bugs entered first place, "
          f"{lost} left it (one-sided sign test on those: p = {_sign_test(won, lost):.3f})")
    firsts: dict[str, list[int]] = {}
    for c, (a, b) in zip(bugs, both, strict=True):
        pair = firsts.setdefault(c.ledger.project, [0, 0])
        pair[0] += a == 1
        pair[1] += b == 1
    print("per project, first places (current -> LOPO-CV): "
          + ", ".join(f"{p} {a}->{b}" for p, (a, b) in firsts.items()))
    return {s: {"current": [base[s].top(k) for k in KS], "cv": [cv[s].top(k) for k in KS],
                "fitted": [full[s].top(k) for k in KS], "bugs": len(base[s].ranks)}
            for s in base}


def _fit(args: argparse.Namespace, bugs: Sequence[Compiled], w0: dict[str, float],
         params: Sequence[str]) -> dict[str, float]:
    start = w0 if args.start == "current" else {
        **w0, **{p: 0.1 for p in params if p != "sbfl"}}
    started = time.monotonic()
    if args.method == "logistic":
        def fit(train: Sequence[Compiled]) -> dict[str, float]:
            return logistic_fit(train, start, params, args.lam)
    else:
        def fit(train: Sequence[Compiled]) -> dict[str, float]:
            return coordinate_search(train, start, params, args.moves == "top1+loss")
    ranks, folds = lopo(bugs, start, params, fit)
    fitted = fit(bugs)
    print(f"fitting took {time.monotonic() - started:.0f} s")
    figures = _report_cv(bugs, w0, ranks, fitted)
    spread = _spread(folds, params)
    print("\n| weight | current | fitted on all | folds min .. median .. max |\n"
          "| --- | --- | --- | --- |")
    for p in params:
        print(f"| {p} | {w0[p]:g} | {fitted[p]:g} | {spread[p]} |")
    if args.out:
        Path(args.out).write_text(json.dumps({"current": w0, "fitted": fitted, "folds": folds,
                                              "figures": figures}, indent=1))
    return fitted


def main() -> int:
    args = _parser().parse_args()
    if args.manifest:
        MANIFEST.append(Path(args.manifest))
    if any(s.startswith(("heldout=", "check=")) for s in args.cache):
        raise SystemExit("--cache: the held-out and check splits are never fitted on")
    w0 = current_weights()
    bugs = [compile_ledger(x) for x in _load_ledgers(args.cache, args.ledgers)]
    wrong = verify(bugs, w0)
    print(f"replay with the current weights: {len(bugs) - len(wrong)} of {len(bugs)} bugs "
          "agree with the real ranking")
    for line in wrong:
        print("  " + line)
    fitted: dict[str, dict[str, float]] = {}
    for name in args.fitted:
        fitted[name] = {**w0, **json.loads(Path(name).read_text())["fitted"]}
        for split, figures in _by_split(bugs, evaluate(bugs, fitted[name]).ranks).items():
            print(f"{split}: {figures.cells()} with the weights of {name}")
    if not args.fitted:
        counts = fired(bugs)
        params = [p for p in args.params.split(",") if p] or [
            "sbfl", *sorted(k for k, n in counts.items() if k != "sbfl" and n >= args.min_bugs)]
        print("kinds (bugs where they act): " + ", ".join(f"{k} {n}" for k, n in
                                                         sorted(counts.items())))
        sensitivity(bugs, w0, params)
        reachable(bugs, w0, params)
        fitted["fitted on all"] = _fit(args, bugs, w0, params)
    if args.check:
        check_counts(args.check, w0, fitted)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
