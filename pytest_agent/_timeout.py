"""Per-test timeouts for inner runs: a hanging test fails with where it hung.

Loaded into every inner pytest run (``-p pytest_agent._timeout``: the baseline and
verify runs, the localization run, the offline engine's candidates), never into the
user's own pytest process. Modelled on pytest-timeout's ``signal`` method: a
``SIGALRM`` timer in the main thread around each test's whole protocol (setup, call,
teardown); on expiry the handler calls ``pytest.fail`` in the frame that was running,
so the test fails (a ``BaseException``: ``except Exception`` in the code under test
does not swallow it) and the session goes on with the next test. The failure text
starts with ``hung in <qualname> (<file>:<line>)``, the innermost frame of the
project that was interrupted, followed by the stack. That frame is the strongest
localization signal a hang gives.

The limit of each test is derived from tests that finished: ``factor`` times the
slowest one seen (in this run, or in earlier runs of the same tests, passed in by the
parent), never below ``floor`` and never above ``cap``; before any test has finished
it is ``cap``. The whole run still has its own ceiling (``test_timeout``), enforced
by the parent, which kills the process group.

An instrumented run (localization's coverage run: coverage.py with a context per test,
and the value and statement recorders in the accept tests) declares how much slower
its tests are (:func:`instrumented`): the floor and what earlier, plain runs saw are
scaled by that ``slowdown`` (what this run measures itself already includes it), the
first test of each module gets the cap (it pays the module's set-up: module fixtures,
lazy imports, first-use caches, which earlier runs of other tests never measured),
and so do the tests the instrumenting plugin names (:func:`allow_cap`: the accept
tests, which the recorders slow most). A test stopped only because coverage slowed
it down would otherwise read as a hang, and a hang is strong evidence of where the
fault is (issue #17, STUDY class 2).

A hang that never returns to the interpreter (a C loop holding the GIL) cannot be
interrupted by a signal handler: ``faulthandler`` is armed as a backstop a few
seconds after the limit; it prints every thread's stack and ends the process, so the
run costs the limit, not ``test_timeout``.

Configured by one environment variable (set by the parent, see :class:`TestLimits`),
so the module stays import-light and inert when not configured explicitly: loaded
without it, the defaults apply.

PYTEST_DONT_REWRITE: the harness imports this module before the inner session
loads it as a plugin; without this marker pytest warns that it cannot rewrite it,
and a project with ``filterwarnings = error`` turns that warning into a crash.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import sys
import time
import traceback
from collections.abc import Generator
from dataclasses import dataclass
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any
from typing import final

import pytest

__all__ = [
    "HUNG_PREFIX", "LIMITS_ENV", "PLUGIN", "TestLimits", "allow_cap", "hung_where",
    "instrumented", "set_limits",
]

#: The module name to load it with ``-p``.
PLUGIN = "pytest_agent._timeout"
LIMITS_ENV = "PYTEST_AGENT_TEST_LIMITS"
#: Every hang's failure text starts with this.
HUNG_PREFIX = "hung in "
#: Seconds past the limit before the faulthandler backstop ends the process.
BACKSTOP_GRACE = 5.0
#: Path parts of frames that are not the project's (the interpreter, installed
#: packages, pytest and pluggy themselves).
_FOREIGN = ("site-packages", "dist-packages", ".venv", "/venv/", ".tox", "_pytest", "pluggy")


@final
@dataclass(frozen=True)
class TestLimits:
    """How long one test may run before it is stopped as hung.

    ``cap`` of 0 (or less) disables per-test timeouts.
    """

    __test__ = False  # not a pytest test class

    floor: float = 2.0
    factor: float = 10.0
    cap: float = 20.0
    #: The slowest test that finished in an earlier run of the same tests (seconds).
    slowest: float = 0.0
    #: How many times slower this run's tests are than the runs ``slowest`` and
    #: ``floor`` were measured in (an instrumented run, see :func:`instrumented`).
    slowdown: float = 1.0

    def limit(self, slowest: float = 0.0) -> float:
        """The limit for the next test, given the slowest finished test of this run
        (measured in this run: not scaled by ``slowdown``)."""
        if self.cap <= 0:
            return 0.0
        if self.slowest <= 0 and slowest <= 0:
            return self.cap
        earlier = self.slowdown * max(self.floor, self.factor * self.slowest)
        return min(self.cap, max(earlier, self.factor * slowest))

    def seen(self, slowest: float) -> TestLimits:
        """These limits, knowing that a test took ``slowest`` seconds."""
        return replace(self, slowest=max(self.slowest, slowest))

    def within(self, ceiling: float) -> TestLimits:
        """Capped by a whole run's ``ceiling``: one test never gets more than the run."""
        return replace(self, cap=min(self.cap, ceiling)) if ceiling > 0 else self

    def to_env(self) -> dict[str, str]:
        value = f"floor={self.floor:g} factor={self.factor:g} cap={self.cap:g} " \
                f"slowest={self.slowest:.6f} slowdown={self.slowdown:g}"
        return {LIMITS_ENV: value}

    @classmethod
    def from_env(cls, value: str | None) -> TestLimits:
        """Parse :data:`LIMITS_ENV`; a missing or bad value gives the defaults for it."""
        fields: dict[str, float] = {}
        for part in (value or "").split():
            key, _, raw = part.partition("=")
            if key in ("floor", "factor", "cap", "slowest", "slowdown"):
                try:
                    fields[key] = float(raw)
                except ValueError:
                    continue
        return cls(**fields)

    @classmethod
    def from_settings(cls, settings: Any, slowest: float = 0.0) -> TestLimits:
        """From ``per_test_timeout_*`` settings (defaults for those a settings object lacks)."""
        default = cls()
        return cls(
            floor=float(getattr(settings, "per_test_timeout_min", default.floor)),
            factor=float(getattr(settings, "per_test_timeout_factor", default.factor)),
            cap=float(getattr(settings, "per_test_timeout_max", default.cap)),
            slowest=slowest,
        ).within(float(getattr(settings, "test_timeout", 0.0)))


_STDLIB = tuple({os.path.dirname(os.__file__), sys.prefix, sys.base_prefix, sys.exec_prefix})


def _is_ours(filename: str, root: str | None) -> bool:
    """A file of the project: under ``root`` (or, without one, not of the interpreter),
    and not of an installed package, pytest or pluggy."""
    if filename.startswith("<"):
        return False
    path = os.path.abspath(filename)
    if any(part in path for part in _FOREIGN):
        return False
    if root is not None:
        return path.startswith(root)
    return not path.startswith(_STDLIB)


def hung_where(frame: FrameType | None, root: str) -> tuple[str, str, int] | None:
    """``(qualname, filename, line)`` of the innermost project frame at or above ``frame``.

    Frames under ``root`` first, then any frame outside the interpreter and installed
    packages (sources beside the test root), then the innermost frame.
    """
    stack: list[tuple[str, str, int]] = []
    while frame is not None:
        code = frame.f_code
        stack.append((getattr(code, "co_qualname", code.co_name), code.co_filename,
                      frame.f_lineno))
        frame = frame.f_back
    for scope in (root, None):
        for here in stack:
            if _is_ours(here[1], scope):
                return here
    return stack[0] if stack else None


def _stack_text(frame: FrameType | None) -> str:
    """The interrupted stack from the first frame of the project (or a test) on,
    without pytest's and pluggy's frames."""
    entries = traceback.extract_stack(frame)
    first = next((i for i, e in enumerate(entries) if _is_ours(e.filename, None)), 0)
    shown = [e for e in entries[first:]
             if not any(part in e.filename for part in ("_pytest", "pluggy"))]
    return "".join(traceback.format_list(shown[-40:]))


class TimeoutPlugin:
    """Arms one timer per test; registered as ``agent-timeout``."""

    def __init__(self, limits: TestLimits, root: Path) -> None:
        self.limits = limits
        self.root = str(root.resolve()) + os.sep
        #: The slowest test that finished in this run (seconds).
        self.slowest = 0.0
        #: Node id -> ``hung in ...`` headline, for the tests stopped here.
        self.hung: dict[str, str] = {}
        self._current: pytest.Item | None = None
        #: The test files whose first test has run (an instrumented run gives that
        #: first test the cap: it pays the module's set-up).
        self._modules: set[str] = set()
        self._limit = 0.0
        self._took = 0.0
        #: The handler, timer and time before ours, restored when a test ends.
        self._outer: tuple[Any, float, float] = (None, 0.0, 0.0)
        self._usable = hasattr(signal, "SIGALRM") and hasattr(signal, "setitimer")
        # The backstop writes to the real stderr (the run's output), whatever capture
        # does to ``sys.stderr`` meanwhile: a private copy of fd 2, as pytest's
        # faulthandler plugin keeps.
        self._stderr_fd = -1
        if self._usable and hasattr(faulthandler, "dump_traceback_later"):
            try:
                self._stderr_fd = os.dup(2)
            except OSError:
                self._stderr_fd = -1
        self._backstop = self._stderr_fd >= 0

    def _arm(self, limit: float) -> bool:
        """Arm the timer; not when it cannot be (not the main thread) or when an outer
        plugin's timer is due sooner (never extend someone else's timer)."""
        outer, _ = signal.getitimer(signal.ITIMER_REAL)
        if 0 < outer <= limit:
            return False
        try:
            previous = signal.signal(signal.SIGALRM, self._on_alarm)
        except ValueError:  # not the main thread: the run's ceiling still applies
            return False
        self._outer = (previous, outer, time.monotonic())
        signal.setitimer(signal.ITIMER_REAL, limit)
        if self._backstop:
            faulthandler.dump_traceback_later(limit + BACKSTOP_GRACE, exit=True,
                                              file=self._stderr_fd)
        return True

    def _disarm(self) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        if self._backstop:
            faulthandler.cancel_dump_traceback_later()
        previous, outer, armed_at = self._outer
        if previous is not None:  # the handler before ours (None: set from C)
            signal.signal(signal.SIGALRM, previous)
        if outer > 0:  # an outer timer was running: give it back what is left of it
            signal.setitimer(signal.ITIMER_REAL, max(1e-3, outer - (time.monotonic() - armed_at)))

    def close(self) -> None:
        if self._stderr_fd >= 0:
            os.close(self._stderr_fd)
            self._stderr_fd = -1
            self._backstop = False

    def limit_for(self, item: pytest.Item) -> float:
        """The limit of ``item``: the cap for a test named by :func:`allow_cap` and, in
        an instrumented run, for the first test of each module; else from the tests
        that finished."""
        module = str(item.path)
        first = module not in self._modules
        self._modules.add(module)
        if item.stash.get(_CAPPED, False) or (first and self.limits.slowdown > 1):
            return max(0.0, self.limits.cap)
        return self.limits.limit(self.slowest)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        limit = self.limit_for(item) if self._usable else 0.0
        armed = limit > 0 and self._arm(limit)
        self._current, self._limit, self._took = item, limit, 0.0
        try:
            return (yield)
        finally:
            if armed:
                self._disarm()
            self._current = None
            if item.nodeid not in self.hung:
                self.slowest = max(self.slowest, self._took)

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        item = self._current
        if item is None:  # between tests: nothing of the project is running
            return
        where = hung_where(frame, self.root)
        qualname, filename, line = where if where is not None else ("?", "?", 0)
        shown = os.path.relpath(filename, self.root) if filename.startswith(self.root) \
            else filename
        headline = f"{HUNG_PREFIX}{qualname} ({shown}:{line})"
        self.hung[item.nodeid] = headline
        pytest.fail(
            f"{headline}: the test ran longer than its per-test timeout of {self._limit:.1f}s "
            f"and was stopped there.\n\nStack when it was stopped:\n"
            f"{_stack_text(frame)}",
            pytrace=False,
        )

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if report.when in ("setup", "call"):
            # What a test took, as the outcome recorders count it (setup and call).
            self._took += report.duration
        headline = self.hung.get(item.nodeid)
        if headline is not None and report.failed:
            # Read by the outcome recorders (``_collector``): which test hung, and where.
            report.agent_hung = headline  # type: ignore[attr-defined]
        return report


_key = pytest.StashKey[TimeoutPlugin]()
_CAPPED = pytest.StashKey[bool]()


def set_limits(config: pytest.Config, value: str) -> None:
    """Replace this session's limits (``LIMITS_ENV`` format): for a process started
    before the limits were known (see ``_gate``)."""
    plugin = config.stash.get(_key, None)
    if plugin is not None:
        plugin.limits = TestLimits.from_env(value)


def instrumented(config: pytest.Config, slowdown: float, cap: float = 0.0) -> None:
    """This session's tests run about ``slowdown`` times slower than plain runs (a
    plugin that traces or profiles them says so from its ``pytest_configure``, called
    after this module's: ``trylast``); ``cap`` (> 0) lowers the per-test cap, and sets
    one when per-test timeouts were off."""
    plugin = config.stash.get(_key, None)
    if plugin is None:
        return
    limits = replace(plugin.limits, slowdown=max(1.0, slowdown))
    if cap > 0:
        limits = replace(limits, cap=min(limits.cap, cap) if limits.cap > 0 else cap)
    plugin.limits = limits


def allow_cap(item: pytest.Item) -> None:
    """Give ``item`` the whole per-test cap (from ``pytest_runtest_protocol``, before
    this module's wrapper runs: ``tryfirst``)."""
    item.stash[_CAPPED] = True


def pytest_configure(config: pytest.Config) -> None:
    limits = TestLimits.from_env(os.environ.get(LIMITS_ENV))
    plugin = TimeoutPlugin(limits, config.rootpath)
    config.stash[_key] = plugin
    config.pluginmanager.register(plugin, "agent-timeout")


def pytest_unconfigure(config: pytest.Config) -> None:
    plugin = config.stash.get(_key, None)
    if plugin is not None:
        config.pluginmanager.unregister(plugin)
        plugin.close()
        del config.stash[_key]

