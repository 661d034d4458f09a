"""The pytest plugin loaded into the localization run (``-p pytest_agent.localize._covplugin``).

It runs inside the inner pytest subprocess, never in the user's pytest process. It

- measures coverage with coverage.py, one dynamic context per test node id
  (``Coverage.switch_context``), and writes the lines each test ran at the end;
- records each test's outcome and failure text as it goes (one JSON line per
  event, flushed, so a run killed on timeout still leaves them behind);
- records the structured traceback of every failure and collection error
  (``pytest_exception_interact``): file, line and function of each frame;
- stops a hanging test with ``SIGALRM`` after a per-test limit, so that its
  traceback shows where it was looping and the other tests still run.

Configured through environment variables (set by :mod:`._coverage`); coverage is
imported here only, in the subprocess.
"""

from __future__ import annotations

import json
import os
import signal
import time
import traceback
from collections.abc import Generator
from pathlib import Path
from typing import IO
from typing import Any

import pytest

OUT_ENV = "PYTEST_AGENT_LOCALIZE_OUT"
SOURCE_ENV = "PYTEST_AGENT_LOCALIZE_SOURCE"
LIMIT_ENV = "PYTEST_AGENT_LOCALIZE_TEST_LIMIT"

_OMIT = ("*/site-packages/*", "*/dist-packages/*", "*/.venv/*", "*/venv/*", "*/.tox/*")


HUNG_PREFIX = "pytest-agent: the test ran longer than"


class LocalizePlugin:
    def __init__(self, out: IO[str], source: str, limit: float) -> None:
        self._out = out
        self._source = source
        self._limit = limit
        self._current_limit = limit
        self._longest = 0.0
        self._started = 0.0
        self._cov: Any = None
        self._has_alarm = hasattr(signal, "SIGALRM") and hasattr(signal, "setitimer")

    # -- output ----------------------------------------------------------------

    def _emit(self, record: dict[str, Any]) -> None:
        self._out.write(json.dumps(record) + "\n")
        self._out.flush()

    # -- coverage --------------------------------------------------------------

    def start(self) -> None:
        try:
            import coverage
        except ImportError as exc:  # the parent falls back to tracebacks
            self._emit({"kind": "warning", "text": f"coverage unavailable: {exc}"})
            return
        # Started and stopped around each test (below): pytest's own collection and
        # reporting then run untraced, which keeps the run close to a plain one.
        self._cov = coverage.Coverage(
            data_file=None, config_file=False, branch=False, source=[self._source], omit=_OMIT
        )

    def finish(self) -> None:
        cov, self._cov = self._cov, None
        if cov is None:
            return
        data = cov.get_data()
        lines: dict[str, dict[str, list[int]]] = {}
        for filename in sorted(data.measured_files()):
            per_test: dict[str, list[int]] = {}
            for lineno, contexts in data.contexts_by_lineno(filename).items():
                for ctx in contexts:
                    if ctx:
                        per_test.setdefault(ctx, []).append(lineno)
            if per_test:
                lines[filename] = {k: sorted(v) for k, v in per_test.items()}
        self._emit({"kind": "coverage", "lines": lines})

    # -- hooks -----------------------------------------------------------------

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        if self._cov is not None:
            self._cov.start()
            self._cov.switch_context(item.nodeid)
        armed = self._has_alarm and self._current_limit > 0
        previous: Any = None
        if armed:
            previous = signal.signal(signal.SIGALRM, self._on_alarm)
            signal.setitimer(signal.ITIMER_REAL, self._current_limit)
        self._started = time.monotonic()
        try:
            return (yield)
        finally:
            if armed:
                signal.setitimer(signal.ITIMER_REAL, 0)
                if previous is not None:  # the handler before ours (None: set from C)
                    signal.signal(signal.SIGALRM, previous)
            elapsed = time.monotonic() - self._started
            if elapsed < self._current_limit:
                self._longest = max(self._longest, elapsed)
            if self._cov is not None:
                self._cov.stop()

    def _on_alarm(self, signum: int, frame: object) -> None:
        limit = self._current_limit
        # After a first hang the others are likely to hang too: give them a limit
        # scaled on the tests that finished, so a run with many hanging tests ends.
        self._current_limit = min(self._limit, max(1.0, 10 * self._longest))
        # pytest.fail raises ``Failed``, a BaseException: ``except Exception`` in the
        # code under test does not swallow it.
        pytest.fail(f"{HUNG_PREFIX} {limit:.1f}s and was stopped")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        failed = report.failed
        if report.when != "call" and not failed:
            return
        outcome: str = report.outcome
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
        self._emit({
            "kind": "report",
            "nodeid": report.nodeid,
            "when": report.when,
            "outcome": outcome,
            "longrepr": str(report.longrepr)[-6000:] if failed else "",
        })

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._emit({
                "kind": "collect-error",
                "nodeid": report.nodeid,
                "longrepr": str(report.longrepr)[-6000:],
            })

    def pytest_exception_interact(
        self, node: pytest.Item | pytest.Collector, call: pytest.CallInfo[Any],
        report: pytest.TestReport | pytest.CollectReport,
    ) -> None:
        excinfo = call.excinfo
        if excinfo is None:
            return
        exc = excinfo.value
        frames = [
            [f.filename, f.lineno or 0, f.name] for f in traceback.extract_tb(excinfo.tb)
        ]
        record: dict[str, Any] = {
            "kind": "exception",
            "nodeid": node.nodeid,
            "type": type(exc).__name__,
            "message": str(exc)[:1000],
            "frames": frames[-60:],
            "hung": str(exc).startswith((HUNG_PREFIX, "hung in ")),
        }
        if isinstance(exc, SyntaxError) and exc.filename:
            record["syntax"] = [exc.filename, exc.lineno or 0]
        self._emit(record)


_key = pytest.StashKey[LocalizePlugin]()


def pytest_configure(config: pytest.Config) -> None:
    out_path = os.environ.get(OUT_ENV)
    if not out_path:
        return
    source = os.environ.get(SOURCE_ENV) or str(Path.cwd())
    limit = float(os.environ.get(LIMIT_ENV) or 0)
    plugin = LocalizePlugin(open(out_path, "a", encoding="utf-8"), source, limit)  # noqa: SIM115
    config.stash[_key] = plugin
    config.pluginmanager.register(plugin, "agent-localize")
    plugin.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    plugin = config.stash.get(_key, None)
    if plugin is None:
        return
    try:
        plugin.finish()
    finally:
        plugin._out.close()
        del config.stash[_key]
