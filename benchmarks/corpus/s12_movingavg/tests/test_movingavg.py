import pytest

from movingavg import MovingAverage, smooth


def test_empty():
    assert MovingAverage(3).value is None


def test_partial_window():
    avg = MovingAverage(3)
    avg.add(2)
    assert avg.add(4) == 3.0
    assert not avg.full


def test_bad_size():
    with pytest.raises(ValueError):
        MovingAverage(0)


def test_reset():
    avg = MovingAverage(2)
    avg.add(5)
    avg.reset()
    assert avg.value is None


def test_window_slides():
    avg = MovingAverage(2)
    for v in (1, 2, 3):
        avg.add(v)
    assert avg.value == 2.5


def test_smooth():
    assert smooth([4, None, 8, 6], 2) == [4.0, 4.0, 6.0, 7.0]
