from jobqueue import JobQueue


def test_drain_then_empty():
    q = JobQueue()
    q.push("x")
    assert q.pop() == ("x", 0)
    assert q.pop() is None
    assert len(q) == 0


def test_retry_requeues():
    q = JobQueue()
    q.retry("j", 0, priority=2)
    assert q.pop() == ("j", 1)
