from scheduler import Scheduler


def test_priorities_reported_in_order():
    s = Scheduler()
    s.submit("a", 1)
    s.submit("b", 3)
    assert [s.next_job(), s.next_job()] == [("b", 3), ("a", 1)]
