"""The pytest plugin loaded into the localization run (``-p pytest_agent.localize._covplugin``).

It runs inside the inner pytest subprocess, never in the user's pytest process. It

- measures coverage with coverage.py, one dynamic context per test node id
  (``Coverage.switch_context``), and writes the lines each test ran as soon as the
  test ends (one JSON line per test, flushed: a run killed or cut at its time budget
  still leaves the spectrum of the tests that finished).
  Only the setup, call and teardown phases are traced, and the rendering of a
  failed assertion (``repr`` of its operands, ``pytest_assertrepr_compare``) is
  not: what runs to *report* a failure (``pytest_runtest_makereport``, ``repr`` of
  locals, an exception's ``__str__``) is no evidence of the fault;
- records, for a failing test, the value flow and the project objects of the
  failing statement (:mod:`._evidence`), and which statement of the test entered
  which project function (:mod:`._attribution`);
- records, when ``PYTEST_AGENT_LOCALIZE_VALUES=1`` (off by default), the *value
  spectrum* of every test's call phase: coarse classes of what project functions took
  and returned (:mod:`._valuerec`), one record per test as it ends;
- records each test's outcome and failure text as it goes (one JSON line per
  event, flushed, so a run killed on timeout still leaves them behind);
- records the structured traceback of every failure and collection error
  (``pytest_exception_interact``): file, line and function of each frame;
- tells the per-test timeouts of the run (:mod:`pytest_agent._timeout`, loaded
  into every inner run) that its tests run slower than plain ones
  (``COVERAGE_SLOWDOWN``) and that the accept tests get the whole per-test cap: a
  test stopped only because the coverage run is slower than the baseline would read
  as a hang, the strongest evidence there is (issue #17, STUDY class 2).

Configured through environment variables (set by :mod:`._coverage`); coverage is
imported here only, in the subprocess.

PYTEST_DONT_REWRITE: the harness imports this module before the inner session
loads it as a plugin; without this marker pytest warns that it cannot rewrite it,
and a project with ``filterwarnings = error`` turns that warning into a crash.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import re
import time
import traceback
from collections.abc import Callable
from collections.abc import Generator
from pathlib import Path
from typing import IO
from typing import Any

import pytest

from pytest_agent._collector import COVERAGE_BRANCH_ENV
from pytest_agent._collector import COVERAGE_LIMIT_ENV
from pytest_agent._collector import COVERAGE_OUT_ENV
from pytest_agent._collector import COVERAGE_PROFILED_ENV
from pytest_agent._collector import COVERAGE_SOURCE_ENV
from pytest_agent._outcomes import OutcomeRecorder
from pytest_agent._timeout import HUNG_PREFIX
from pytest_agent._timeout import allow_cap
from pytest_agent._timeout import instrumented
from pytest_agent.localize._attribution import CallAttributor
from pytest_agent.localize._evidence import ProjectFiles
from pytest_agent.localize._evidence import ReturnRecorder
from pytest_agent.localize._evidence import failure_evidence
from pytest_agent.localize._origin import ORIGINS_ENV
from pytest_agent.localize._valuerec import VALUES_ENV
from pytest_agent.localize._valuerec import ValueRecorder

OUT_ENV = COVERAGE_OUT_ENV
SOURCE_ENV = COVERAGE_SOURCE_ENV
LIMIT_ENV = COVERAGE_LIMIT_ENV

_OMIT = ("*/site-packages/*", "*/dist-packages/*", "*/.venv/*", "*/venv/*", "*/.tox/*")

#: How many times slower a test runs under this plugin (coverage.py's tracer with a
#: context per test) than in a plain run: lark's tests/test_parser.py takes 6.5 s
#: plain and 19 s under coverage (idle machine); with headroom for load that differs
#: between the two runs. Per-test limits learned from plain runs are scaled by it.
COVERAGE_SLOWDOWN = 5.0

# The helpers pytest's rewritten asserts call to explain a failed assertion; each is
# called only after the assertion failed, and runs user code (``__repr__``,
# ``__eq__`` of the operands' elements through ``pytest_assertrepr_compare``).
_RENDERING = ("_saferepr", "_format_assertmsg", "_call_reprcompare")
# The same for unittest's ``assert*`` methods (``self.assertEqual(tree, expected)``
# renders both trees with their ``__repr__`` once ``==`` said no): the helpers
# ``unittest.case`` looks up on its module to build a failure message, and
# ``pprint`` (``pprint.pformat`` for the diffs of sequences and dicts).
_UNITTEST_RENDERING = ("safe_repr", "_common_shorten_repr")
#: Stands for "no such attribute" among the originals of patched names.
_ABSENT = object()


class _ModuleProxy:
    """A module with some attributes replaced (``unittest.case``'s ``pprint``)."""

    def __init__(self, module: object, **replaced: object) -> None:
        self._module = module
        self.__dict__.update(replaced)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def selects(nodeid: str, wanted: frozenset[str]) -> bool:
    """``nodeid`` is one of ``wanted`` or inside one (a file, a class, a function whose
    parametrized cases these are), compared from any ``/`` on: the harness names tests
    relative to the test root, pytest relative to its rootdir, which may lie above."""
    tails = [nodeid] + [nodeid[i + 1:] for i, c in enumerate(nodeid) if c == "/"]
    return any(t == w or t.startswith((w + "::", w + "[")) for t in tails for w in wanted)


class LocalizePlugin:
    #: The coverage data is erased after this many tests (their lines are written).
    ERASE_EVERY = 64

    def __init__(self, out: IO[str], source: str,
                 profiled: frozenset[str] | None = None, values: bool = True) -> None:
        self._out = out
        #: The tests whose call phases get the value and statement recorders (``None``:
        #: every test's); see ``COVERAGE_PROFILED_ENV``.
        self._profiled = profiled
        self._source = source
        self._cov: Any = None
        self._data: Any = None
        self._emitted = 0
        self._tracing = False
        self._paused = 0
        #: (module, attribute) -> the original, while patched.
        self._patched: dict[tuple[Any, str], Any] = {}
        self._compared: tuple[tuple[str, ...], tuple[object, ...]] | None = None
        #: The operand pairs the test's failed equality checks compared, in order
        #: (:mod:`._origin`: where the wrong text was made).
        self._pairs: list[tuple[object, object]] = []
        self._origins = os.environ.get(ORIGINS_ENV) != "0"
        self._is_project = ProjectFiles(source)
        self._recorder = ReturnRecorder(self._is_project)
        self._attributor = CallAttributor(self._is_project)
        #: Value classes of every test's call phase (:mod:`._valuerec`); None: off.
        self._values = ValueRecorder(self._is_project) if values else None
        self._trees: dict[str, ast.Module | None] = {}

    # -- output ----------------------------------------------------------------

    def _emit(self, record: dict[str, Any]) -> None:
        self._out.write(json.dumps(record) + "\n")
        self._out.flush()

    # -- coverage ----------------------------------------------------------------

    def start(self) -> None:
        try:
            import coverage
        except ImportError as exc:  # the parent falls back to tracebacks
            self._emit({"kind": "warning", "text": f"coverage unavailable: {exc}"})
            return
        # Started and stopped around each test phase (below): pytest's own collection
        # and reporting then run untraced, which keeps the run close to a plain one.
        self._cov = coverage.Coverage(
            data_file=None, config_file=False, source=[self._source], omit=_OMIT,
            # Arcs when the harness asks (``localize_arc_weight`` > 0, localize/_arcs.py).
            branch=os.environ.get(COVERAGE_BRANCH_ENV) == "1",
        )
        # The in-memory data the collector flushes into (the same object for the whole
        # run); read per test below. Taken before the first start: ``get_data`` after
        # it would also walk the source tree for unexecuted files, every time.
        self._data = self._cov.get_data()
        self._patch_rendering()

    def finish(self) -> None:
        self._unpatch_rendering()
        self._cov = self._data = None

    def _emit_coverage(self, nodeid: str) -> None:
        """Write the lines ``nodeid`` ran (its context), now that it has ended."""
        if self._cov is None:
            return
        # Switching context flushes the collector's lines into the data, under the
        # finished test's context; "" holds nothing (no phase is traced outside a test).
        self._cov.start()
        self._cov.switch_context("")
        self._cov.stop()
        data = self._data
        data.set_query_contexts(["^" + re.escape(nodeid) + "$"])
        lines: dict[str, list[int]] = {}
        arcs: dict[str, list[list[int]]] = {}
        for filename in sorted(data.measured_files()):
            ran = data.lines(filename)
            if ran:
                lines[filename] = sorted(ran)
                arcs[filename] = sorted(map(list, data.arcs(filename) or ()))
        data.set_query_contexts(None)
        # coverage matches the query against every context the data holds (a regex
        # per row): over a whole run that was quadratic in its tests (lark's 1,146:
        # half the time of this method). The tests written are erased now and then;
        # not after each one: a new in-memory database per test costs as much.
        self._emitted += 1
        if self._emitted % self.ERASE_EVERY == 0:
            data.erase()
        # Written even when empty: the record says the test finished.
        self._emit({"kind": "coverage-test", "nodeid": nodeid, "lines": lines,
                    "at": time.monotonic(), **({"arcs": arcs} if data.has_arcs() else {})})

    def _trace(self, on: bool) -> None:
        if self._cov is None or on == self._tracing:
            return
        self._tracing = on
        if not self._paused:
            (self._cov.start if on else self._cov.stop)()

    def _pause(self) -> None:
        self._paused += 1
        self._attributor.paused += 1
        if self._values is not None:
            self._values.paused += 1
        if self._paused == 1 and self._tracing and self._cov is not None:
            self._cov.stop()

    def _resume(self) -> None:
        self._paused -= 1
        self._attributor.paused -= 1
        if self._values is not None:
            self._values.paused -= 1
        if self._paused == 0 and self._tracing and self._cov is not None:
            self._cov.start()

    def _patch_rendering(self) -> None:
        # pytest's assertion rewriter looks these up on its module at every failed
        # assert (unittest's methods on theirs); a wrapper pauses the tracer while
        # they run. Names that a version lacks are skipped (the run is then only less
        # precise).
        import pprint
        import unittest.case

        from _pytest.assertion import rewrite

        for name in _RENDERING:
            self._patch(rewrite, name, compares=name == "_call_reprcompare")
        for name in _UNITTEST_RENDERING:
            self._patch(unittest.case, name, compares=name == "_common_shorten_repr")
        if getattr(unittest.case, "pprint", None) is pprint:
            self._patched[(unittest.case, "pprint")] = pprint
            unittest.case.pprint = _ModuleProxy(  # type: ignore[attr-defined]
                pprint, pformat=self._untraced(pprint.pformat, False))
        if "repr" not in vars(unittest.case):
            # assertSetEqual lists the differing members with the builtin ``repr``:
            # a module global of that name is found before the builtin.
            self._patched[(unittest.case, "repr")] = _ABSENT
            unittest.case.repr = self._untraced(repr, False)  # type: ignore[attr-defined]

    def _patch(self, module: Any, name: str, compares: bool = False) -> None:
        original = getattr(module, name, None)
        if callable(original):
            self._patched[(module, name)] = original
            setattr(module, name, self._untraced(original, compares))

    def _unpatch_rendering(self) -> None:
        for (module, name), original in self._patched.items():
            if original is _ABSENT:
                delattr(module, name)
            else:
                setattr(module, name, original)
        self._patched.clear()

    def _untraced(self, func: Callable[..., Any], compares: bool) -> Callable[..., Any]:
        @functools.wraps(func)
        def untraced(*args: Any, **kwargs: Any) -> Any:
            self._pause()
            try:
                if compares:
                    self._capture(args)
                return func(*args, **kwargs)
            finally:
                self._resume()

        return untraced

    def _capture(self, args: tuple[Any, ...]) -> None:
        if len(args) == 4:
            # pytest's (ops, results, explanations, each_obj): the objects the failed
            # comparison compared, exactly, for the missing-member evidence; the pair
            # of the first comparison that failed (a chain stops there), if ``==``.
            ops, results, each_obj = tuple(args[0]), args[1], tuple(args[3])
            self._compared = (ops, each_obj)
            if not self._origins or len(self._pairs) >= 8:
                return
            failed = next((i for i, res in enumerate(results) if not _truthy(res)), None)
            if failed is not None and ops[failed] == "==":
                self._pairs.append((each_obj[failed], each_obj[failed + 1]))
        elif len(args) == 2 and self._origins and len(self._pairs) < 8:
            # unittest's ``_common_shorten_repr(first, second)``: what ``assertEqual``,
            # ``assertMultiLineEqual``, ``assertSequenceEqual`` (the sequences, then
            # their first differing items) and ``assertDictEqual`` found unequal.
            self._pairs.append((args[0], args[1]))

    # -- hooks -----------------------------------------------------------------

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # Which accept tests this run is to run: the parent can then tell a run cut
        # before any of them finished (``SpectrumRun.cut_before_accept``).
        if self._profiled is not None:
            self._emit({"kind": "accept-collected", "nodeids": [
                i.nodeid for i in session.items if selects(i.nodeid, self._profiled)]})

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        if self._cov is not None:
            self._cov.start()
            self._cov.switch_context(item.nodeid)
            self._cov.stop()
        if self._profiled is not None and selects(item.nodeid, self._profiled):
            # The recorders slow the accept tests most (several times coverage's
            # cost on call-heavy code), and their evidence is what the ranking reads.
            allow_cap(item)
        try:
            return (yield)
        finally:
            self._recorder.clear()  # drop the references to the test's values
            self._attributor.clear()
            self._compared = None
            self._pairs.clear()
            self._emit_coverage(item.nodeid)
            self._emit_values(item.nodeid)

    def _emit_values(self, nodeid: str) -> None:
        if self._values is not None:
            for record in self._values.records(nodeid):
                self._emit(record)
            self._values.clear()

    def _traced_phase(self, record_returns: bool, record_values: bool = False
                      ) -> Generator[None, object, object]:
        self._trace(True)
        if record_returns:
            self._recorder.start()
            self._attributor.start()  # chained after the recorder's profile function
        values = self._values if record_values else None
        if values is not None:
            values.start()  # chained after those, if any
        try:
            return (yield)
        finally:
            if values is not None:
                values.stop()
            if record_returns:
                self._attributor.stop()
                self._recorder.stop()
            self._trace(False)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, object, object]:
        return (yield from self._traced_phase(False))

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, object, object]:
        profiled = self._profiled is None or selects(item.nodeid, self._profiled)
        return (yield from self._traced_phase(profiled, record_values=True))

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, object, object]:
        return (yield from self._traced_phase(False))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # Only a failing call phase's attribution is kept: few tests, and the only
        # ones the ranking reads.
        if report.when == "call" and report.failed and (
                self._profiled is None or selects(report.nodeid, self._profiled)):
            self._emit(self._attributor.record(report.nodeid))

    def record_outcome(self, record: dict[str, Any]) -> None:
        """The sink of this run's :class:`~pytest_agent._outcomes.OutcomeRecorder`: its
        records, tagged ``report`` (a test phase) or ``collect-error``."""
        if record["when"] == "collect":
            self._emit({"kind": "collect-error", "nodeid": record["nodeid"],
                        "longrepr": record["longrepr"]})
        else:
            self._emit({"kind": "report", **record})

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
            "hung": str(exc).startswith(HUNG_PREFIX),
        }
        if isinstance(exc, SyntaxError) and exc.filename:
            record["syntax"] = [exc.filename, exc.lineno or 0]
        path = getattr(node, "path", None)
        if isinstance(report, pytest.TestReport) and report.when == "call" and path is not None:
            record.update(failure_evidence(exc, excinfo.tb, os.path.realpath(path),
                                           self._recorder, self._is_project, self._trees,
                                           self._compared, self._pairs))
        self._emit(record)


def _truthy(result: object) -> bool:
    """A comparison's result as pytest's explanation reads it (an error counts as
    false: the comparison where the chain stopped)."""
    try:
        return bool(result)
    except Exception:  # noqa: BLE001 - any error of a user's ``__bool__``
        return False


_key = pytest.StashKey[LocalizePlugin]()


@pytest.hookimpl(trylast=True)  # after the per-test timeouts' (``instrumented``)
def pytest_configure(config: pytest.Config) -> None:
    out_path = os.environ.get(OUT_ENV)
    if not out_path:
        return
    source = os.environ.get(SOURCE_ENV) or str(Path.cwd())
    # The per-test cap of this run (0: the run's own, as the baseline's); hanging tests
    # are stopped by the per-test timeouts (``_timeout``), told how slow this run is.
    instrumented(config, COVERAGE_SLOWDOWN, cap=float(os.environ.get(LIMIT_ENV) or 0))
    named = os.environ.get(COVERAGE_PROFILED_ENV)
    profiled = frozenset(n for n in named.splitlines() if n.strip()) if named else None
    plugin = LocalizePlugin(open(out_path, "a", encoding="utf-8"), source,  # noqa: SIM115
                            profiled or None, values=os.environ.get(VALUES_ENV) == "1")
    config.stash[_key] = plugin
    config.pluginmanager.register(plugin, "agent-localize")
    # Outcomes are classified where every inner run's are (``_outcomes``).
    config.pluginmanager.register(OutcomeRecorder(plugin.record_outcome, longrepr_limit=6000),
                                  "agent-localize-outcomes")
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
