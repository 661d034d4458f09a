"""A pytest plugin (``-p real_bugs_outcomes``) that writes every test's outcome as JSON.

The file named by ``$REAL_BUGS_OUTCOMES`` receives ``{"tests": {nodeid: outcome},
"collect_errors": {nodeid: longrepr}}``; a test whose setup, call or teardown
failed counts as ``failed``. Used by the corpus's verification and its runner so
that they read outcomes from pytest itself, not from its terminal output.

The file is also written during the run (at most once a second, after a test's
report): a run killed at its whole-run budget keeps the outcomes of the tests
that finished.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

__all__ = ["pytest_collectreport", "pytest_runtest_logreport", "pytest_sessionfinish"]

_tests: dict[str, str] = {}
_errors: dict[str, str] = {}
#: When the file was last written (``time.monotonic``).
_written = [0.0]
#: Seconds between two writes during the run.
_EVERY = 1.0


def _write() -> None:
    path = os.environ.get("REAL_BUGS_OUTCOMES")
    if path:
        # Write aside and rename: a kill in the middle never leaves half a file.
        with open(path + ".part", "w", encoding="utf-8") as f:
            json.dump({"tests": _tests, "collect_errors": _errors}, f)
        os.replace(path + ".part", path)
    _written[0] = time.monotonic()


def pytest_runtest_logreport(report: Any) -> None:
    previous = _tests.get(report.nodeid)
    if report.failed:
        _tests[report.nodeid] = "failed"
    elif previous != "failed" and (report.when == "call"
                                   or (report.when == "setup" and report.skipped)):
        _tests[report.nodeid] = "skipped" if report.skipped else "passed"
    if report.when == "teardown" and time.monotonic() - _written[0] >= _EVERY:
        _write()


def pytest_collectreport(report: Any) -> None:
    if report.failed:
        _errors[report.nodeid] = str(report.longrepr)[-2000:]


def pytest_sessionfinish(session: Any) -> None:
    _write()
