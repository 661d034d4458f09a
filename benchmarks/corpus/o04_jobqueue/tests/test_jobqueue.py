from jobqueue import JobQueue


def test_priority_order():
    q = JobQueue()
    q.push("low", 1)
    q.push("high", 5)
    assert q.pop() == ("high", 0)


def test_fifo_within_priority():
    q = JobQueue()
    q.push("a")
    q.push("b")
    assert [q.pop()[0], q.pop()[0]] == ["a", "b"]


def test_pop_empty_returns_none():
    assert JobQueue().pop() is None


def test_retry_limit():
    q = JobQueue(max_retries=1)
    assert q.retry("job", 0) is True
    assert q.retry("job", 1) is False
    assert q.failed == ["job"]
