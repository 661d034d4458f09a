from twostack import BoundedQueue, Queue


def test_peek_after_put():
    q = Queue([1, 2])
    q.get()
    q.put(3)
    assert q.peek() == 2


def test_bounded_keeps_newest():
    q = BoundedQueue(2, [1, 2, 3, 4])
    assert q.dropped == 2
    assert [q.get(), q.get()] == [3, 4]
