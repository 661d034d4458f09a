"""A tiny pytest plugin loaded into inner test runs to record per-test outcomes.

Loaded with ``-p pytest_agent._collector``; when ``PYTEST_AGENT_REPORT`` names a
file, it appends one JSON object per test report to it (the records and their
classification are :mod:`pytest_agent._outcomes`'s). Kept free of heavy
imports: it runs in every inner run.

PYTEST_DONT_REWRITE: the harness imports this module before the inner session
loads it as a plugin; without this marker pytest warns that it cannot rewrite it,
and a project with ``filterwarnings = error`` turns that warning into a crash.
"""

from __future__ import annotations

import os

import pytest

from pytest_agent._outcomes import JsonLinesSink
from pytest_agent._outcomes import OutcomeRecorder
from pytest_agent._outcomes import read_records

__all__ = [
    "COVERAGE_BRANCH_ENV", "COVERAGE_LIMIT_ENV", "COVERAGE_OUT_ENV", "COVERAGE_PROFILED_ENV",
    "COVERAGE_SOURCE_ENV", "REPORT_ENV", "read_records",
]

REPORT_ENV = "PYTEST_AGENT_REPORT"

#: How the harness talks to localization's coverage plugin (``localize/_covplugin``) in
#: an inner run: where it writes its records, the source root it measures, the per-test
#: limit. Here, beside REPORT_ENV, so that test runs (testrun) need not import localize.
COVERAGE_OUT_ENV = "PYTEST_AGENT_LOCALIZE_OUT"
COVERAGE_SOURCE_ENV = "PYTEST_AGENT_LOCALIZE_SOURCE"
COVERAGE_LIMIT_ENV = "PYTEST_AGENT_LOCALIZE_TEST_LIMIT"
#: "1": record each test's arcs too (coverage.py's ``branch=True``), for the arc spectrum
#: (``localize_arc_weight`` > 0).
COVERAGE_BRANCH_ENV = "PYTEST_AGENT_COVERAGE_BRANCH"
#: The node ids (one per line) whose call phases get the value and statement recorders
#: (two Python-level profile functions, several times coverage's own cost on call-heavy
#: code); unset: every test's. Only failing tests' records are read, so the harness
#: names the accept tests: the other tests of their files run under coverage alone.
COVERAGE_PROFILED_ENV = "PYTEST_AGENT_LOCALIZE_PROFILED"


_recorder_key = pytest.StashKey[tuple[OutcomeRecorder, JsonLinesSink]]()


def pytest_configure(config: pytest.Config) -> None:
    path = os.environ.get(REPORT_ENV)
    if path:
        sink = JsonLinesSink(open(path, "a", encoding="utf-8"))  # noqa: SIM115
        recorder = OutcomeRecorder(sink)
        config.stash[_recorder_key] = recorder, sink
        config.pluginmanager.register(recorder, "agent-outcome-recorder")


def pytest_unconfigure(config: pytest.Config) -> None:
    registered = config.stash.get(_recorder_key, None)
    if registered is not None:
        registered[1].close()
        del config.stash[_recorder_key]
