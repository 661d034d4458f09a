import pytest

from windowmax import busiest, peak_alerts, window_max


def test_increasing():
    assert window_max([1, 2, 3, 4], 2) == [2, 3, 4]


def test_shorter_than_window():
    assert window_max([3, 1], 3) == []


def test_bad_size():
    with pytest.raises(ValueError):
        window_max([1], 0)


def test_busiest():
    assert busiest([1, 5, 2, 8, 1], 2) == (2, 10)


def test_peak_leaves_the_window():
    assert window_max([9, 1, 1, 1], 2) == [9, 1, 1]


def test_busiest_hour():
    assert peak_alerts([5, 0, 0, 0, 0], 2, 4) == [0]
