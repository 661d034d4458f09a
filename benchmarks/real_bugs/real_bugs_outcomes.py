"""A pytest plugin (``-p real_bugs_outcomes``) that writes every test's outcome as JSON.

The file named by ``$REAL_BUGS_OUTCOMES`` receives ``{"tests": {nodeid: outcome},
"collect_errors": {nodeid: longrepr}}``; a test whose setup, call or teardown
failed counts as ``failed``. Used by the corpus's verification and its runner so
that they read outcomes from pytest itself, not from its terminal output.
"""

from __future__ import annotations

import json
import os
from typing import Any

__all__ = ["pytest_collectreport", "pytest_runtest_logreport", "pytest_sessionfinish"]

_tests: dict[str, str] = {}
_errors: dict[str, str] = {}


def pytest_runtest_logreport(report: Any) -> None:
    previous = _tests.get(report.nodeid)
    if report.failed:
        _tests[report.nodeid] = "failed"
    elif previous != "failed" and (report.when == "call"
                                   or (report.when == "setup" and report.skipped)):
        _tests[report.nodeid] = "skipped" if report.skipped else "passed"


def pytest_collectreport(report: Any) -> None:
    if report.failed:
        _errors[report.nodeid] = str(report.longrepr)[-2000:]


def pytest_sessionfinish(session: Any) -> None:
    path = os.environ.get("REAL_BUGS_OUTCOMES")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"tests": _tests, "collect_errors": _errors}, f)
