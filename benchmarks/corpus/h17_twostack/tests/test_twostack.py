import pytest

from twostack import BoundedQueue, Empty, Queue


def test_fifo():
    q = Queue([1, 2, 3])
    assert [q.get(), q.get(), q.get()] == [1, 2, 3]


def test_empty():
    with pytest.raises(Empty):
        Queue().get()


def test_peek_and_len():
    q = Queue("ab")
    assert q.peek() == "a" and len(q) == 2


def test_bounded_rejects_zero():
    with pytest.raises(ValueError):
        BoundedQueue(0)


def test_fifo_with_interleaving():
    q = Queue([1, 2])
    assert q.get() == 1
    q.put(3)
    assert [q.get(), q.get()] == [2, 3]
