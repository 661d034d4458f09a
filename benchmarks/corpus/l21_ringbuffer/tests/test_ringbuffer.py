import pytest

from ringbuffer import RingBuffer, moving_averages


def test_push_below_capacity():
    buf = RingBuffer(3)
    buf.push(1)
    buf.push(2)
    assert buf.items() == [1, 2]


def test_overwrite_keeps_order():
    buf = RingBuffer(3)
    for i in range(5):
        buf.push(i)
    assert buf.items() == [2, 3, 4]


def test_latest():
    buf = RingBuffer(2)
    for i in range(3):
        buf.push(i)
    assert buf.latest() == 2


def test_empty_latest():
    with pytest.raises(IndexError):
        RingBuffer(1).latest()


def test_moving_average_short():
    assert moving_averages([2, 4], 3) == [2.0, 3.0]


def test_moving_average_long():
    assert moving_averages([1, 2, 3, 4, 5, 6, 7], 3) == [1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0]
