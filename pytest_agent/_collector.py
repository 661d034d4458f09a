"""A tiny pytest plugin loaded into inner test runs to record per-test outcomes.

Loaded with ``-p pytest_agent._collector``; when ``PYTEST_AGENT_REPORT`` names a
file, it appends one JSON object per test report to it. Kept free of heavy
imports: it runs in every inner run.

PYTEST_DONT_REWRITE: the harness imports this module before the inner session
loads it as a plugin; without this marker pytest warns that it cannot rewrite it,
and a project with ``filterwarnings = error`` turns that warning into a crash.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO
from typing import Any

import pytest

REPORT_ENV = "PYTEST_AGENT_REPORT"

#: How the harness talks to localization's coverage plugin (``localize/_covplugin``) in
#: an inner run: where it writes its records, the source root it measures, the per-test
#: limit. Here, beside REPORT_ENV, so that test runs (testrun) need not import localize.
COVERAGE_OUT_ENV = "PYTEST_AGENT_LOCALIZE_OUT"
COVERAGE_SOURCE_ENV = "PYTEST_AGENT_LOCALIZE_SOURCE"
COVERAGE_LIMIT_ENV = "PYTEST_AGENT_LOCALIZE_TEST_LIMIT"


def read_records(path: Path) -> list[dict[str, Any]]:
    """The JSON lines an inner run's recorder wrote; none when it wrote nothing."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a run killed mid-write leaves a torn last line
    return records


class _OutcomeRecorder:
    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._setup_duration = 0.0

    def _emit(self, nodeid: str, when: str, outcome: str, longrepr: str,
              **extra: Any) -> None:
        record = {"nodeid": nodeid, "when": when, "outcome": outcome, "longrepr": longrepr,
                  **extra}
        self._stream.write(json.dumps(record) + "\n")
        self._stream.flush()

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome: str = report.outcome
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
        elif report.when != "call" and report.failed:
            outcome = "error"
        if report.when == "setup":
            self._setup_duration = report.duration
        # The call phase carries the test's outcome; setup/teardown only matter when not passed.
        if report.when != "call" and outcome == "passed":
            return
        longrepr = str(report.longrepr) if report.failed else ""
        extra: dict[str, Any] = {}
        if report.when == "call":
            extra["duration"] = round(self._setup_duration + report.duration, 6)
        # Set by the per-test timeout plugin (``_timeout``): "hung in <qualname> (<file>:<line>)".
        hung = getattr(report, "agent_hung", "")
        if hung:
            extra["hung"] = hung
        self._emit(report.nodeid, report.when, outcome, longrepr, **extra)

    @pytest.hookimpl(trylast=True)
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._emit(report.nodeid, "collect", "error", str(report.longrepr))

    def close(self) -> None:
        self._stream.close()


_recorder_key = pytest.StashKey[_OutcomeRecorder]()


def pytest_configure(config: pytest.Config) -> None:
    path = os.environ.get(REPORT_ENV)
    if path:
        recorder = _OutcomeRecorder(open(path, "a", encoding="utf-8"))  # noqa: SIM115
        config.stash[_recorder_key] = recorder
        config.pluginmanager.register(recorder, "agent-outcome-recorder")


def pytest_unconfigure(config: pytest.Config) -> None:
    recorder = config.stash.get(_recorder_key, None)
    if recorder is not None:
        recorder.close()
        del config.stash[_recorder_key]
