"""Run pytest node ids in a subprocess inside a workspace and read per-test outcomes."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_agent import _tempdirs
from pytest_agent._collector import REPORT_ENV
from pytest_agent._collector import read_records
from pytest_agent._procs import ProcessResult
from pytest_agent._procs import run_process
from pytest_agent._timeout import PLUGIN as TIMEOUT_PLUGIN
from pytest_agent._timeout import TestLimits
from pytest_agent._types import TestOutcome
from pytest_agent._types import TestRun

__all__ = ["inner_pytest_env", "records_to_testrun", "run_recorded", "run_tests", "slowest_seen"]

# Plugin flags for every inner run: record outcomes; stop hanging tests (per-test
# timeouts); never write a cache into the workspace (it would end up in the commit);
# never recurse into the agent plugin.
INNER_ARGS: tuple[str, ...] = (
    "-p", "pytest_agent._collector",
    "-p", TIMEOUT_PLUGIN,
    "-p", "no:cacheprovider",
    "-p", "no:randomly",
)

_RANK = {
    TestOutcome.PASSED: 0, TestOutcome.SKIPPED: 0, TestOutcome.XFAILED: 0,
    TestOutcome.XPASSED: 1, TestOutcome.MISSING: 2, TestOutcome.FAILED: 3, TestOutcome.ERROR: 4,
}


def inner_pytest_env(root: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of an inner run: the workspace first on ``sys.path``, no bytecode."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_ADDOPTS")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    pythonpath = [str(root)]
    if env.get("PYTHONPATH"):
        pythonpath.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(pythonpath)
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_XDIST_TESTRUNUID", None)
    # Per-test timeouts that know the slowest test of earlier runs here (see ``_timeout``).
    env.update(TestLimits(slowest=slowest_seen(root)).to_env())
    if extra:
        env.update(extra)
    return env


#: The slowest finished test seen so far per test root (seconds): later runs of the
#: same tests derive their per-test timeouts from it (see ``_timeout``).
_SLOWEST: dict[str, float] = {}


def slowest_seen(root: Path) -> float:
    """The slowest test that finished in an earlier inner run in ``root`` (0 if none)."""
    return _SLOWEST.get(str(root.resolve()), 0.0)


def _remember(root: Path, records: Sequence[dict[str, Any]]) -> None:
    durations = [float(r["duration"]) for r in records
                 if r.get("duration") is not None and not r.get("hung")]
    if durations:
        key = str(root.resolve())
        _SLOWEST[key] = max(_SLOWEST.get(key, 0.0), *durations)


def run_recorded(
    root: Path,
    args: Sequence[str],
    *,
    timeout: float,
    python: str = sys.executable,
    limits: TestLimits | None = None,
) -> tuple[ProcessResult, list[dict[str, Any]]]:
    """One inner ``python -m pytest args`` in ``root``, and the outcome recorder's records.

    Each test gets a per-test timeout from ``limits`` (default: the defaults, knowing the
    slowest test of earlier runs in ``root``), never more than ``timeout``, the ceiling
    of the whole run.
    """
    if limits is None:
        limits = TestLimits(slowest=slowest_seen(root))
    limits = limits.within(timeout)
    with tempfile.TemporaryDirectory(prefix=_tempdirs.prefix("run")) as tmp:
        report_path = Path(tmp) / "outcomes.jsonl"
        argv = [python, "-m", "pytest", *INNER_ARGS, "-q", "--no-header", "-rN",
                "-o", "addopts=", *args]
        env = inner_pytest_env(root, {REPORT_ENV: str(report_path), **limits.to_env()})
        proc = run_process(argv, cwd=root, timeout=timeout, env=env)
        records = read_records(report_path)
    _remember(root, records)
    return proc, records


def run_tests(
    root: Path,
    nodeids: Sequence[str],
    *,
    timeout: float,
    extra_args: Sequence[str] = (),
    python: str = sys.executable,
    limits: TestLimits | None = None,
) -> TestRun:
    """Run ``nodeids`` with ``python -m pytest`` in ``root``; kill the group after ``timeout``.

    A test that runs past its per-test timeout (``limits``, see :func:`run_recorded`)
    fails with where it hung (``TestRun.hung``); the others still run.
    """
    proc, records = run_recorded(root, [*extra_args, *nodeids], timeout=timeout, python=python,
                                 limits=limits)
    return records_to_testrun(records, nodeids, proc)


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
