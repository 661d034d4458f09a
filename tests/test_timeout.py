"""Per-test timeouts in inner runs: a hang is a failure that says where it hung."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_agent._timeout import HUNG_PREFIX
from pytest_agent._timeout import TestLimits
from pytest_agent._types import TestOutcome
from pytest_agent.testrun import run_tests

#: Small limits keep these tests quick: a second per test at most.
QUICK = TestLimits(floor=0.5, factor=10, cap=1.0)

LIB = textwrap.dedent("""\
    import threading


    def total(xs):
        acc = 0
        i = 0
        while i < len(xs):
            acc += xs[i]
        return acc


    def wait_forever():
        threading.Event().wait()
    """)

TESTS = textwrap.dedent("""\
    import pytest

    from lib import total, wait_forever


    def test_first():
        assert total([]) == 0


    def test_total():
        assert total([1, 2]) == 3


    def test_swallowed():
        try:
            total([1])
        except Exception:
            pass


    def test_in_the_stdlib():
        wait_forever()


    @pytest.fixture
    def stuck():
        total([5])


    def test_fixture_hangs(stuck):
        pass


    def test_last():
        assert total([]) == 0
    """)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "lib.py").write_text(LIB)
    (tmp_path / "test_lib.py").write_text(TESTS)
    return tmp_path


def test_a_hanging_test_fails_with_where_it_hung_and_the_run_goes_on(project: Path) -> None:
    run = run_tests(project, ["test_lib.py"], timeout=120, limits=QUICK)
    assert not run.timed_out
    outcomes = {n.split("::")[1]: o for n, o in run.outcomes.items()}
    assert outcomes == {
        "test_first": TestOutcome.PASSED,
        "test_total": TestOutcome.FAILED,
        "test_swallowed": TestOutcome.FAILED,  # ``except Exception`` does not catch it
        "test_in_the_stdlib": TestOutcome.FAILED,
        "test_fixture_hangs": TestOutcome.ERROR,
        "test_last": TestOutcome.PASSED,
    }
    hung = {n.split("::")[1]: h for n, h in run.hung.items()}
    assert hung == {
        "test_total": "hung in total (lib.py:7)",
        "test_swallowed": "hung in total (lib.py:7)",
        # Interrupted inside threading.py: the project's frame is named.
        "test_in_the_stdlib": "hung in wait_forever (lib.py:13)",
        "test_fixture_hangs": "hung in total (lib.py:7)",
    }
    text = run.failures["test_lib.py::test_total"]
    assert text.startswith(HUNG_PREFIX + "total (lib.py:7)")
    # The floor, unless the machine made test_first take more than 50 ms.
    assert f"per-test timeout of {QUICK.limit(run.durations['test_lib.py::test_first']):.1f}s" \
        in text
    # The stack, from the test down to the loop, without pytest's own frames.
    assert 'test_lib.py", line 11, in test_total' in text
    assert 'lib.py", line 7, in total' in text
    assert "_pytest" not in text
    assert set(run.durations) >= {"test_lib.py::test_first", "test_lib.py::test_last"}


def test_the_limit_follows_the_slowest_finished_test(tmp_path: Path) -> None:
    (tmp_path / "test_slow.py").write_text(textwrap.dedent("""\
        import time


        def test_slow():
            time.sleep(0.05)


        def test_loop():
            while True:
                pass
        """))
    limits = TestLimits(floor=0.1, factor=4, cap=30)
    run = run_tests(tmp_path, ["test_slow.py"], timeout=120, limits=limits)
    slow = run.durations["test_slow.py::test_slow"]
    expected = limits.limit(slow)
    assert 0.1 < expected < 30
    assert f"per-test timeout of {expected:.1f}s" in run.failures["test_slow.py::test_loop"]
    assert run.hung["test_slow.py::test_loop"] == "hung in test_loop (test_slow.py:9)"


def test_limits_arithmetic() -> None:
    limits = TestLimits(floor=2, factor=10, cap=20)
    assert limits.limit() == 20  # nothing finished yet: the cap
    assert limits.limit(0.01) == 2  # the floor
    assert limits.limit(0.5) == 5
    assert limits.limit(7) == 20  # the cap
    assert limits.seen(0.5).limit() == 5
    assert limits.seen(0.5).limit(0.8) == 8
    assert limits.within(3).limit() == 3  # never more than the whole run
    assert TestLimits(cap=0).limit(1) == 0  # disabled
    assert TestLimits.from_env(limits.seen(0.5).to_env()["PYTEST_AGENT_TEST_LIMITS"]) == \
        limits.seen(0.5)
    assert TestLimits.from_env("cap=oops floor=1") == TestLimits(floor=1)


def test_an_outer_timer_due_sooner_is_kept(tmp_path: Path) -> None:
    # A plugin of the project (or localization's) armed its own shorter alarm: ours
    # does not extend it, and hands it back after a test that armed ours.
    (tmp_path / "conftest.py").write_text(textwrap.dedent("""\
        import signal
        import pytest

        class Outer(Exception):
            pass

        def _raise(signum, frame):
            raise Outer("outer alarm")

        @pytest.hookimpl(wrapper=True, tryfirst=True)
        def pytest_runtest_protocol(item):
            signal.signal(signal.SIGALRM, _raise)
            signal.setitimer(signal.ITIMER_REAL, 0.3)
            try:
                return (yield)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        """))
    (tmp_path / "test_outer.py").write_text("def test_loop():\n    while True:\n        pass\n")
    run = run_tests(tmp_path, ["test_outer.py"], timeout=120, limits=TestLimits(cap=30))
    assert run.outcomes["test_outer.py::test_loop"] is TestOutcome.FAILED
    assert "outer alarm" in run.failures["test_outer.py::test_loop"]
    assert run.hung == {}


# An instrumented run (localization's coverage run) says how much slower its tests
# are, and names the tests that get the whole cap (issue #17, STUDY class 2).
INSTRUMENTED_CONFTEST = textwrap.dedent("""\
    import pytest

    from pytest_agent._timeout import allow_cap, instrumented


    @pytest.hookimpl(trylast=True)
    def pytest_configure(config):
        instrumented(config, 10)


    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_protocol(item):
        if item.name == "test_named":
            allow_cap(item)
        return (yield)
    """)

#: Earlier (plain) runs saw 20 ms at most: 10x slower, the limit is 1 s, not 0.1 s.
SEEN_PLAIN = TestLimits(floor=0.1, factor=2, cap=30, slowest=0.02)


def test_an_instrumented_run_scales_what_plain_runs_saw(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(INSTRUMENTED_CONFTEST)
    (tmp_path / "test_b.py").write_text(textwrap.dedent("""\
        import time


        def test_fast():
            pass


        def test_slow():
            time.sleep(0.4)


        def test_loop():
            while True:
                pass


        def test_named():
            time.sleep(1.5)
        """))
    run = run_tests(tmp_path, ["test_b.py"], timeout=120, limits=SEEN_PLAIN)
    outcomes = {n.split("::")[1]: o for n, o in run.outcomes.items()}
    assert outcomes == {"test_fast": TestOutcome.PASSED, "test_slow": TestOutcome.PASSED,
                        "test_loop": TestOutcome.FAILED, "test_named": TestOutcome.PASSED}
    # A real hang is still stopped, at the scaled limit (10 x max(0.1, 2 x 0.02)).
    assert run.hung == {"test_b.py::test_loop": "hung in test_loop (test_b.py:13)"}
    assert "per-test timeout of 1.0s" in run.failures["test_b.py::test_loop"]


def test_the_first_test_of_a_module_pays_its_set_up(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(INSTRUMENTED_CONFTEST)
    (tmp_path / "test_a.py").write_text(textwrap.dedent("""\
        import time


        def test_first():
            time.sleep(1.5)  # a module fixture, a lazy import, a cache filled once


        def test_loop():
            while True:
                pass
        """))
    run = run_tests(tmp_path, ["test_a.py"], timeout=120, limits=SEEN_PLAIN)
    assert run.outcomes["test_a.py::test_first"] is TestOutcome.PASSED
    assert set(run.hung) == {"test_a.py::test_loop"}
    # Without instrumentation the first test gets no more than the others (a new
    # directory: the runs in one remember their slowest test).
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "test_a.py").write_text((tmp_path / "test_a.py").read_text())
    run = run_tests(plain, ["test_a.py::test_first"], timeout=120, limits=SEEN_PLAIN)
    assert set(run.hung) == {"test_a.py::test_first"}


def test_slowdown_arithmetic() -> None:
    limits = TestLimits(floor=2, factor=10, cap=20, slowdown=5)
    assert limits.limit() == 20  # nothing finished yet: the cap
    assert limits.limit(0.01) == 10  # the floor, scaled
    assert limits.seen(0.3).limit() == 15  # a plain run's slowest, scaled
    assert limits.seen(0.3).limit(1.8) == 18  # this run's own slowest is not scaled
    assert limits.limit(7) == 20
    assert TestLimits.from_env(limits.to_env()["PYTEST_AGENT_TEST_LIMITS"]) == limits
