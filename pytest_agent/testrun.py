"""Run pytest node ids in a subprocess inside a workspace and read per-test outcomes."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_agent import _tempdirs
from pytest_agent._collector import REPORT_ENV
from pytest_agent._collector import read_records
from pytest_agent._inner import INNER_ARGS
from pytest_agent._inner import inner_args
from pytest_agent._inner import inner_pytest_env
from pytest_agent._inner import remember_slowest
from pytest_agent._inner import slowest_seen
from pytest_agent._procs import ProcessResult
from pytest_agent._procs import run_process
from pytest_agent._timeout import LIMITS_ENV
from pytest_agent._timeout import TestLimits
from pytest_agent._types import TestOutcome
from pytest_agent._types import TestRun

__all__ = [
    "INNER_ARGS", "inner_args", "inner_pytest_env", "records_to_testrun", "run_baseline",
    "run_recorded", "run_tests", "slowest_seen", "spectrum_records",
]

#: Localization's coverage plugin, loaded into the baseline run (see :func:`run_baseline`).
COVERAGE_PLUGIN = "pytest_agent.localize._covplugin"

_RANK = {
    TestOutcome.PASSED: 0, TestOutcome.SKIPPED: 0, TestOutcome.XFAILED: 0,
    TestOutcome.XPASSED: 1, TestOutcome.MISSING: 2, TestOutcome.FAILED: 3, TestOutcome.ERROR: 4,
}


def run_recorded(
    root: Path,
    args: Sequence[str],
    *,
    timeout: float,
    python: str = sys.executable,
    limits: TestLimits | None = None,
    plugins: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    warm: bool = False,
) -> tuple[ProcessResult, list[dict[str, Any]]]:
    """One inner pytest run of ``args`` in ``root``, and the outcome recorder's records.

    The one place that runs an inner pytest session (argv, environment, recorder).
    Each test gets a per-test timeout from ``limits`` (default: the task's, see
    :class:`~pytest_agent._server.TaskTests`), knowing the slowest test of earlier runs
    in ``root``, never more than ``timeout``, the ceiling of the whole run. ``plugins``
    are loaded too (``-p``), ``env`` adds to the environment. With ``warm``, the run is
    forked from the task's warm test server when there is one (and its pinned files are
    unchanged); otherwise, and always without ``warm``, it is a fresh
    ``python -m pytest`` process: the task's early-started one (see ``_gate``) when
    none of the files it read before its gate changed, else a new one.
    """
    from pytest_agent._server import task_tests_for

    session = task_tests_for(root)
    if limits is None:
        limits = session.limits if session is not None else TestLimits()
    limits = limits.seen(slowest_seen(root)).within(timeout)
    early = session.take_early() if session is not None and not warm and not plugins \
        and not env and python == sys.executable and not any(a.startswith("-") for a in args) \
        else None
    used = early.use(args, limits.to_env()[LIMITS_ENV], timeout) if early is not None else None
    if used is not None:
        remember_slowest(root, used[1])
        return used
    with tempfile.TemporaryDirectory(prefix=_tempdirs.prefix("run")) as tmp:
        report_path = Path(tmp) / "outcomes.jsonl"
        argv = inner_args(args, plugins)
        run_env = inner_pytest_env(root, {REPORT_ENV: str(report_path), **limits.to_env(),
                                          **(env or {})})
        proc: ProcessResult | None = None
        server = session.server if session is not None else None
        if warm and server is not None and python == sys.executable:
            proc = server.run(argv, run_env, timeout, Path(tmp) / "output.txt")
        if proc is None:
            proc = run_process([python, "-m", "pytest", *argv], cwd=root, timeout=timeout,
                               env=run_env, contain=True)
        records = read_records(report_path)
    remember_slowest(root, records)
    return proc, records


def run_tests(
    root: Path,
    nodeids: Sequence[str],
    *,
    timeout: float,
    extra_args: Sequence[str] = (),
    python: str = sys.executable,
    limits: TestLimits | None = None,
    warm: bool = False,
) -> TestRun:
    """Run ``nodeids`` with pytest in ``root``; kill the group after ``timeout``.

    A test that runs past its per-test timeout (``limits``, see :func:`run_recorded`)
    fails with where it hung (``TestRun.hung``); the others still run. ``warm``: fork
    the run from the task's warm server (intermediate checks); the default is a fresh
    process (the proof that decides a commit).
    """
    proc, records = run_recorded(root, [*extra_args, *nodeids], timeout=timeout, python=python,
                                 limits=limits, warm=warm)
    return records_to_testrun(records, nodeids, proc)


def _scope(targets: Sequence[str]) -> frozenset[str]:
    """The targets that name what runs: a node id inside another target adds nothing."""
    def inside(t: str, o: str) -> bool:
        return t != o and (t.startswith((o.rstrip("/") + "::", o + "[", o.rstrip("/") + "/")))

    return frozenset(t for t in targets if not any(inside(t, o) for o in targets))


def _coverage_run(test_root: Path, source_root: Path, targets: Sequence[str], *,
                  timeout: float, per_test_limit: float, warm: bool,
                  profiled: Sequence[str] = (), arcs: bool = False,
                  ) -> tuple[ProcessResult, list[dict[str, Any]], list[dict[str, Any]]]:
    """One run of ``targets`` with localization's coverage plugin: the run, the outcome
    records, the coverage plugin's records. ``profiled``: the tests whose call phases
    get the value and statement recorders (the accept tests; empty: every test);
    ``arcs``: each test's arcs are recorded too."""
    from pytest_agent._collector import COVERAGE_BRANCH_ENV as BRANCH_ENV
    from pytest_agent._collector import COVERAGE_LIMIT_ENV as LIMIT_ENV
    from pytest_agent._collector import COVERAGE_OUT_ENV as OUT_ENV
    from pytest_agent._collector import COVERAGE_PROFILED_ENV as PROFILED_ENV
    from pytest_agent._collector import COVERAGE_SOURCE_ENV as SOURCE_ENV

    with tempfile.TemporaryDirectory(prefix=_tempdirs.prefix("coverage")) as tmp:
        out = Path(tmp) / "localize.jsonl"
        env = {OUT_ENV: str(out), SOURCE_ENV: str(source_root), LIMIT_ENV: f"{per_test_limit:.3f}"}
        if profiled:
            env[PROFILED_ENV] = "\n".join(profiled)
        if arcs:
            env[BRANCH_ENV] = "1"
        proc, records = run_recorded(
            test_root, list(targets), timeout=timeout, plugins=(COVERAGE_PLUGIN,), env=env,
            warm=warm)
        return proc, records, read_records(out)


def run_baseline(test_root: Path, source_root: Path, targets: Sequence[str], *,
                 timeout: float, warm: bool = True, profiled: Sequence[str] = (),
                 arcs: bool = False) -> TestRun:
    """The baseline run of a task, with localization's coverage in the same session.

    Localization's coverage plugin records one context per test while the baseline
    runs; its records are kept on the task's :class:`~pytest_agent._server.TaskTests`
    (:func:`spectrum_records` returns them), so localization needs no second pass over
    the same tests. Hangs are stopped by the per-test timeouts (the plugin's own alarm
    is off). ``profiled``: the accept tests, whose call phases alone get the value and
    statement recorders (only failing tests' records are read); ``arcs``: the arcs of
    each test are recorded too (``localize_arc_weight`` > 0).
    """
    from pytest_agent._server import task_tests_for

    proc, records, spectrum = _coverage_run(test_root, source_root, targets, timeout=timeout,
                                            per_test_limit=0.0, warm=warm, profiled=profiled,
                                            arcs=arcs)
    session = task_tests_for(test_root)
    if session is not None:
        session.spectra[_scope(targets)] = (spectrum, proc)
    return records_to_testrun(records, targets, proc)


def spectrum_records(
    test_root: Path, source_root: Path, targets: Sequence[str], *, timeout: float,
    per_test_limit: float, profiled: Sequence[str] = (), arcs: bool = False,
) -> tuple[list[dict[str, Any]], ProcessResult]:
    """Localization's coverage records over ``targets``, and the run that made them.

    The task's baseline run's when it ran the same tests (:func:`run_baseline`);
    otherwise one run now, forked from the task's warm server when there is one.
    """
    from pytest_agent._server import task_tests_for

    session = task_tests_for(test_root)
    cached = session.spectra.get(_scope(targets)) if session is not None else None
    if cached is not None:
        return cached
    proc, _, spectrum = _coverage_run(test_root, source_root, targets, timeout=timeout,
                                      per_test_limit=per_test_limit, warm=True,
                                      profiled=profiled, arcs=arcs)
    return spectrum, proc


def _under(nodeid: str, collector: str) -> bool:
    """``nodeid`` is ``collector`` or inside it (the root collector's id is empty)."""
    return not collector or nodeid == collector or nodeid.startswith(collector.rstrip("/") + "::")


def records_to_testrun(records: Sequence[dict[str, Any]], nodeids: Sequence[str],
                       proc: ProcessResult) -> TestRun:
    """The :class:`TestRun` of an inner run from its outcome records.

    The worst outcome of a test's phases wins; a collection error fails every requested
    test in or under the collector; a requested file or class is represented by the tests
    it contains; a requested test that never reported is ``missing``, with the reason.
    """
    outcomes: dict[str, TestOutcome] = {n: TestOutcome.MISSING for n in nodeids}
    failures: dict[str, str] = {}
    hung = {str(r["nodeid"]): str(r["hung"]) for r in records if r.get("hung")}
    durations = {str(r["nodeid"]): float(r["duration"]) for r in records
                 if r.get("duration") is not None}
    for rec in records:
        nodeid = rec["nodeid"]
        if rec["when"] == "collect":
            for req in nodeids:
                if _under(req, nodeid):
                    outcomes[req] = TestOutcome.ERROR
                    failures[req] = rec["longrepr"]
            continue
        outcome = TestOutcome(rec["outcome"])
        previous = outcomes.get(nodeid)
        if previous is None or previous is TestOutcome.MISSING or _RANK[outcome] > _RANK[previous]:
            outcomes[nodeid] = outcome
        if rec["longrepr"]:
            failures[nodeid] = (failures.get(nodeid, "") + "\n" + rec["longrepr"]).strip()
    for req in nodeids:
        if outcomes.get(req) is TestOutcome.MISSING and any(
            n.startswith((req + "::", req + "[")) for n in outcomes if n != req
        ):
            del outcomes[req]
    for req, outcome in outcomes.items():
        if outcome is TestOutcome.MISSING and req not in failures:
            failures[req] = (
                "the test did not run: timed out" if proc.timed_out
                else "the test was not collected or did not report (wrong node id?)"
            )
    return TestRun(
        outcomes=outcomes, failures=failures, output=proc.output, exit_code=proc.returncode,
        duration=proc.duration, timed_out=proc.timed_out, hung=hung, durations=durations,
    )
