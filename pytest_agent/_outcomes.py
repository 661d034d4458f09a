"""The outcomes of an inner run's tests: one classification, any sink (#14).

Every inner pytest session records its tests through :class:`OutcomeRecorder`: the
JSON-lines recorder of ordinary inner runs (:mod:`pytest_agent._collector`), the
candidate sessions of the offline engine (in memory, :class:`MemorySink`) and the
outcome records of localization's coverage plugin. One record per report that
matters, a plain JSON-able dict:

``nodeid``
    as pytest reports it, or relative to a directory (``relative_to``: the form the
    arguments of a candidate session use when its rootdir is elsewhere);
``when``
    ``setup``, ``call``, ``teardown``, or ``collect`` for a collector that failed;
``outcome``
    ``passed``, ``failed``, ``skipped``, ``xfailed``, ``xpassed`` (a non-strict xfail
    that passed; a strict one is ``failed``, as pytest says), or ``error`` (a setup or
    teardown that failed, a collection error). A setup or teardown that passed is not
    recorded: the call phase carries the test's outcome;
``longrepr``
    the failure text (empty unless the phase failed);
``duration``
    on ``call`` records: seconds of setup and call;
``hung``
    ``hung in <qualname> (<file>:<line>)`` when the per-test timeout
    (:mod:`pytest_agent._timeout`) stopped the test.

PYTEST_DONT_REWRITE: imported by the harness before an inner session loads the
plugins that use it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from collections.abc import Iterable
from pathlib import Path
from typing import IO
from typing import Any

import pytest

__all__ = [
    "FAILING", "OUTCOMES", "RANK", "JsonLinesSink", "MemorySink", "OutcomeRecorder", "Record",
    "classify", "read_records",
]

Record = dict[str, Any]

#: Every outcome a record can have.
OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
#: Outcomes that count against a run: a test with one of them did not pass.
FAILING = frozenset({"failed", "error", "xpassed"})
#: How bad an outcome is: a test's outcome is the worst of its phases'.
RANK = {"passed": 0, "skipped": 0, "xfailed": 0, "xpassed": 1, "failed": 3, "error": 4}
#: The name of a collection error whose collector has an empty node id (the session).
SESSION_NODE = "<collection>"


def classify(report: pytest.TestReport) -> str | None:
    """The outcome of one phase's report; ``None`` for a setup or teardown that passed."""
    if hasattr(report, "wasxfail"):
        return "xfailed" if report.skipped else "xpassed"
    if report.when != "call":
        if report.failed:
            return "error"
        if report.passed:
            return None
    outcome: str = report.outcome
    return outcome


class OutcomeRecorder:
    """A pytest plugin that hands one :data:`Record` per report that matters to ``sink``.

    :param sink: Called with each record, as the run goes (a run killed mid-way leaves
        what it recorded so far).
    :param relative_to: Make test node ids relative to this directory (``None``: as
        pytest reports them).
    :param longrepr_limit: Keep at most the last this many characters of a failure
        text (0: all).
    """

    def __init__(self, sink: Callable[[Record], None], *, relative_to: str | None = None,
                 longrepr_limit: int = 0) -> None:
        self._sink = sink
        self._relative_to = relative_to
        self._limit = longrepr_limit
        self._names: dict[str, str] = {}
        self._setup_duration = 0.0

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        if self._relative_to is None:
            return
        for item in items:
            rel = os.path.relpath(str(item.path), self._relative_to).replace(os.sep, "/")
            tail = item.nodeid.split("::", 1)[1] if "::" in item.nodeid else ""
            self._names[item.nodeid] = f"{rel}::{tail}" if tail else rel

    def _text(self, longrepr: object) -> str:
        text = str(longrepr)
        return text[-self._limit:] if self._limit > 0 else text

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "setup":
            self._setup_duration = report.duration
        outcome = classify(report)
        if outcome is None:
            return
        record: Record = {"nodeid": self._names.get(report.nodeid, report.nodeid),
                          "when": report.when, "outcome": outcome,
                          "longrepr": self._text(report.longrepr) if report.failed else ""}
        if report.when == "call":
            record["duration"] = round(self._setup_duration + report.duration, 6)
        hung = getattr(report, "agent_hung", "")
        if hung:
            record["hung"] = hung
        self._sink(record)

    @pytest.hookimpl(trylast=True)
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._sink({"nodeid": report.nodeid, "when": "collect", "outcome": "error",
                        "longrepr": self._text(report.longrepr)})


class JsonLinesSink:
    """Appends each record to ``stream`` as one JSON line, flushed at once."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def __call__(self, record: Record) -> None:
        self.stream.write(json.dumps(record) + "\n")
        self.stream.flush()

    def close(self) -> None:
        self.stream.close()


def read_records(path: Path) -> list[Record]:
    """The records a :class:`JsonLinesSink` wrote to ``path``; none when it wrote nothing."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a run killed mid-write leaves a torn last line
    return records


class MemorySink:
    """Keeps the records, and answers what a run's caller asks of them."""

    def __init__(self, records: Iterable[Record] = ()) -> None:
        self.records: list[Record] = list(records)

    def __call__(self, record: Record) -> None:
        self.records.append(record)

    @staticmethod
    def _name(record: Record) -> str:
        return str(record["nodeid"]) or SESSION_NODE

    @property
    def passed(self) -> int:
        """Tests whose call phase passed."""
        return sum(r["when"] == "call" and r["outcome"] == "passed" for r in self.records)

    @property
    def failed(self) -> list[str]:
        """Tests (and collectors) with a failing outcome, in the order they first failed."""
        names = (self._name(r) for r in self.records if r["outcome"] in FAILING)
        return list(dict.fromkeys(names))

    @property
    def outcomes(self) -> dict[str, str]:
        """Each test's (and failed collector's) worst outcome over its phases."""
        worst: dict[str, str] = {}
        for record in self.records:
            name, outcome = self._name(record), str(record["outcome"])
            if name not in worst or RANK[outcome] > RANK[worst[name]]:
                worst[name] = outcome
        return worst

    @property
    def hung(self) -> dict[str, str]:
        """Tests stopped by their per-test timeout: name -> ``hung in ...``."""
        return {self._name(r): str(r["hung"]) for r in self.records if r.get("hung")}

    @property
    def durations(self) -> dict[str, float]:
        """Seconds of setup and call of each test that reached its call phase."""
        return {self._name(r): float(r["duration"]) for r in self.records
                if r.get("duration") is not None}
