"""Do the offline engine's validators see the bug the way a plain pytest run does?

For one bug (``python baseline_check.py BUG_ID``, run by ``run.py --baseline-check`` with
the environment of a harness run), with the code unchanged:

1. *plain*: the accept tests in a fresh ``python -m pytest`` (the benchmark's verdict run,
   ``materialize.run_pytest``);
2. *harness*: the task's baseline as the harness runs it (a warm test server attached to
   the accept tests' files, one forked run with localization's coverage);
3. *validators*: a pool of the engine's validators forked from that server, running the
   engine's own session arguments (the failing accept tests first, then the others, then
   the regression set; ``-x``) and the same without ``-x``, and the node ids alone (as the
   mutation signal runs them);
4. *fresh workers*: the same sessions in the fallback's private copy of the tree.

Prints one JSON object: per accept test its outcome in each world, and ``mismatch``: the
worlds whose failing accept tests differ from the plain run's (for the ``-x`` session:
its first test does not fail although it fails plainly).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from materialize import load_manifest  # noqa: E402
from materialize import materialize  # noqa: E402
from materialize import run_pytest  # noqa: E402

__all__ = ["check_bug", "main"]

_OK = ("passed", "skipped", "xfailed")


def _failing(outcomes: dict[str, str], accept: list[str]) -> list[str]:
    return [t for t in accept if outcomes.get(t, "missing") not in _OK]


def _world(result: Any) -> dict[str, Any]:
    return {"outcomes": dict(result.outcomes), "rc": result.rc, "timed_out": result.timed_out,
            "crashed": result.crashed, "hung": dict(result.hung),
            "first": next((str(r["nodeid"]) for r in result.records
                           if r.get("when") in ("setup", "call")), "")}


def _validator_runs(root: Path, accept: list[str], failing: list[str], regression: list[str],
                    mutable: list[str], timeout: float, hang: bool, *,
                    fork: bool) -> dict[str, Any]:
    from pytest_agent._timeout import TestLimits
    from pytest_agent.engines.offline._engine import SESSION_ARGS
    from pytest_agent.engines.offline._order import ordered_args
    from pytest_agent.engines.offline._pool import open_pool

    files = list(dict.fromkeys(a.split("::", 1)[0] for a in accept))
    rest = [a for a in accept if a not in failing]
    engine_args = ordered_args(SESSION_ARGS, [failing, rest, regression])
    sessions = {"engine -x": engine_args,
                "engine": [a for a in engine_args if a != "-x"],
                "node ids": [*SESSION_ARGS, *accept]}
    out: dict[str, Any] = {}
    if not fork:
        os.environ["PYTEST_AGENT_NO_FORK"] = "1"
    try:
        with open_pool(root, root, 1, mutable=mutable, limits=TestLimits(),
                       test_server="auto", tests=files) as pool:
            if hang:  # as the engine: a hanging test is cut within half the timeout
                pool.limits = pool.limits.within(timeout / 2)
            out["validators"] = pool.validators
            pool.warm(engine_args, timeout + 3.0)
            for name, args in sessions.items():
                out[name] = _world(pool.run({}, args, timeout))
    finally:
        os.environ.pop("PYTEST_AGENT_NO_FORK", None)
    return out


def _harness(root: Path, accept: list[str], timeout: float) -> tuple[Any, Any]:
    """The task's baseline as the executor runs it, and the task's test runs (open)."""
    from pytest_agent._server import TaskTests
    from pytest_agent.settings import AgentSettings
    from pytest_agent.testrun import run_baseline

    settings = AgentSettings()
    tests = TaskTests.open(settings)
    files = list(dict.fromkeys(a.split("::", 1)[0] for a in accept))
    targets = list(dict.fromkeys([*accept, *files]))
    tests.attach(root, root, targets)
    try:
        baseline = run_baseline(root, root, targets, timeout=timeout, profiled=accept,
                                arcs=settings.localize_arc_weight > 0)
    except BaseException:
        tests.close()
        raise
    return baseline, tests


def _differences(world: dict[str, Any], name: str, plain_failing: list[str],
                 accept: list[str], passing: list[str]) -> list[str]:
    """How one validator session disagrees with the plain run (accept tests) and with the
    harness's baseline (the tests that passed there)."""
    outcomes = world["outcomes"]
    if name == "engine -x":
        # The session stops at its first failure: the first test must be a failing one.
        ok = not plain_failing or world["first"] in plain_failing
        return [] if ok else [f"first test {world['first'] or '(none)'} does not fail"]
    diffs = [f"{t}: {outcomes.get(t, 'missing')} (plain: failed)" for t in plain_failing
             if outcomes.get(t, "missing") in _OK]
    diffs += [f"{t}: {outcomes.get(t, 'missing')} (plain: passed)" for t in accept
              if t not in plain_failing and outcomes.get(t, "missing") not in _OK]
    if name == "engine":
        diffs += [f"{t}: {outcomes[t]} (harness: passed)" for t in passing
                  if outcomes.get(t, "passed") not in _OK]
    if world["timed_out"] or world["crashed"]:
        diffs.append("timed out" if world["timed_out"] else "crashed")
    return diffs


def check_bug(bug_id: str) -> dict[str, Any]:
    bug = next(b for b in load_manifest(split="all") if b.id == bug_id)
    accept = list(bug.accept_tests)
    mutable = sorted({c["file"] for c in bug.changed})
    with tempfile.TemporaryDirectory(prefix="real-bugs-baseline-") as tmp:
        root = materialize(bug.id, Path(tmp))
        started = time.monotonic()
        plain = run_pytest(root, accept)
        plain_failing = _failing(plain.tests, accept)
        row: dict[str, Any] = {"id": bug.id, "split": bug.split,
                               "plain": {t: plain.tests.get(t, "missing") for t in accept}}
        baseline, tests = _harness(root, accept, 120.0)
        try:
            outcomes = {n: str(o.value) for n, o in baseline.outcomes.items()}
            row["harness"] = {t: outcomes.get(t, "missing") for t in accept}
            passing = [n for n, o in outcomes.items() if o == "passed" and "::" in n]
            regression = [n for n in passing if n not in accept]
            seconds = sum(d for n, d in baseline.durations.items() if n not in baseline.hung)
            hang = bool(baseline.hung)
            timeout = min(20.0, max(1.0, 5 * seconds + 0.5))
            if hang:
                timeout = max(timeout, 2.0)
            row["timeout"] = round(timeout, 2)
            failing = [t for t in accept if outcomes.get(t) not in _OK]
            worlds = {kind: _validator_runs(root, accept, failing or accept, regression,
                                            mutable, timeout, hang, fork=fork)
                      for kind, fork in (("forked", True), ("fresh", False))}
        finally:
            tests.close()
        mismatch: dict[str, list[str]] = {}
        if _failing(row["harness"], accept) != plain_failing:
            mismatch["harness"] = [f"{t}: {row['harness'][t]} (plain: {row['plain'][t]})"
                                   for t in accept if row["harness"][t] != row["plain"][t]]
        for kind, runs in worlds.items():
            row[kind] = runs["validators"]
            for name in ("engine -x", "engine", "node ids"):
                diffs = _differences(runs[name], name, plain_failing, accept, passing)
                if diffs:
                    mismatch[f"{kind}: {name}"] = diffs[:6]
        row["mismatch"] = mismatch
        row["seconds"] = round(time.monotonic() - started, 1)
    return row


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(json.dumps(check_bug(args[0])), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
