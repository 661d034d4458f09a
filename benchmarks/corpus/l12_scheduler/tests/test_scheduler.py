import pytest

from scheduler import Scheduler


def test_highest_priority_first():
    s = Scheduler()
    s.submit("low", 1)
    s.submit("high", 5)
    assert s.drain() == ["high", "low"]


def test_fifo_among_equals():
    s = Scheduler()
    for name in "abc":
        s.submit(name)
    assert s.drain() == ["a", "b", "c"]


def test_next_job_reports_priority():
    s = Scheduler()
    s.submit("x", 7)
    assert s.next_job() == ("x", 7)


def test_cancelled_skipped():
    s = Scheduler()
    s.submit("a", 2)
    s.submit("b", 1)
    s.cancel("a")
    assert s.drain() == ["b"]


def test_duplicate():
    s = Scheduler()
    s.submit("a")
    with pytest.raises(ValueError):
        s.submit("a")


def test_pending():
    s = Scheduler()
    s.submit("b")
    s.submit("a")
    assert s.pending() == ["a", "b"]


def test_empty():
    assert Scheduler().next_job() is None
