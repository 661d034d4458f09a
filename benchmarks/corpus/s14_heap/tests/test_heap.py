import pytest

from heap import MinHeap, nsmallest


def test_peek_is_smallest():
    assert MinHeap([5, 3, 8]).peek() == 3


def test_empty_pop():
    with pytest.raises(IndexError):
        MinHeap().pop()


def test_len():
    h = MinHeap([1, 2])
    h.pop()
    assert len(h) == 1


def test_key():
    h = MinHeap(["ccc", "a", "bb"], key=len)
    assert h.pop() == "a"


def test_pop_order_two_children():
    h = MinHeap([1, 3, 2])
    assert [h.pop() for _ in range(3)] == [1, 2, 3]


def test_pop_order_lone_child():
    h = MinHeap([1, 5, 2, 6])
    assert [h.pop() for _ in range(4)] == [1, 2, 5, 6]


def test_nsmallest():
    assert nsmallest([9, 4, 7, 1, 8, 2], 6) == [1, 2, 4, 7, 8, 9]
    assert nsmallest([3, 1], 5) == [1, 3]
