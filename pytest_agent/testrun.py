"""Run pytest node ids in a subprocess inside a workspace and read per-test outcomes."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_agent._collector import REPORT_ENV
from pytest_agent._collector import read_records
from pytest_agent._procs import ProcessResult
from pytest_agent._procs import run_process
from pytest_agent._types import TestOutcome
from pytest_agent._types import TestRun

__all__ = ["inner_pytest_env", "run_recorded", "run_tests"]

# Plugin flags for every inner run: record outcomes; never write a cache into the
# workspace (it would end up in the commit); never recurse into the agent plugin.
INNER_ARGS: tuple[str, ...] = (
    "-p", "pytest_agent._collector",
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
    if extra:
        env.update(extra)
    return env


def run_recorded(
    root: Path, args: Sequence[str], *, timeout: float, python: str = sys.executable
) -> tuple[ProcessResult, list[dict[str, Any]]]:
    """One inner ``python -m pytest args`` in ``root``, and the outcome recorder's records."""
    with tempfile.TemporaryDirectory(prefix="pytest-agent-run-") as tmp:
        report_path = Path(tmp) / "outcomes.jsonl"
        argv = [python, "-m", "pytest", *INNER_ARGS, "-q", "--no-header", "-rN",
                "-o", "addopts=", *args]
        env = inner_pytest_env(root, {REPORT_ENV: str(report_path)})
        proc = run_process(argv, cwd=root, timeout=timeout, env=env)
        return proc, read_records(report_path)


def run_tests(
    root: Path,
    nodeids: Sequence[str],
    *,
    timeout: float,
    extra_args: Sequence[str] = (),
    python: str = sys.executable,
) -> TestRun:
    """Run ``nodeids`` with ``python -m pytest`` in ``root``; kill the group after ``timeout``."""
    proc, records = run_recorded(root, [*extra_args, *nodeids], timeout=timeout, python=python)
    outcomes: dict[str, TestOutcome] = {n: TestOutcome.MISSING for n in nodeids}
    failures: dict[str, str] = {}
    for rec in records:
        nodeid = rec["nodeid"]
        outcome = TestOutcome(rec["outcome"])
        key = nodeid
        if rec["when"] == "collect":
            # A collection error fails every requested test in or under that node.
            for req in nodeids:
                if req == nodeid or req.startswith(nodeid.rstrip("/") + "::") or not nodeid:
                    outcomes[req] = TestOutcome.ERROR
                    failures[req] = rec["longrepr"]
            continue
        previous = outcomes.get(key)
        if previous is None or previous is TestOutcome.MISSING or _RANK[outcome] > _RANK[previous]:
            outcomes[key] = outcome
        if rec["longrepr"]:
            failures[key] = (failures.get(key, "") + "\n" + rec["longrepr"]).strip()
    for req in nodeids:
        # A requested file or class is represented by the tests it contains.
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
        outcomes=outcomes,
        failures=failures,
        output=proc.output,
        exit_code=proc.returncode,
        duration=proc.duration,
        timed_out=proc.timed_out,
    )

