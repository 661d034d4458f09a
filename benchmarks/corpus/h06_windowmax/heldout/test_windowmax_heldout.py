from windowmax import window_max


def test_decreasing():
    assert window_max([5, 4, 3, 2, 1], 3) == [5, 4, 3]


def test_window_of_one():
    assert window_max([3, 1, 2], 1) == [3, 1, 2]


def test_mixed():
    assert window_max([1, 3, -1, -3, 5, 3, 6, 7], 3) == [3, 3, 5, 5, 6, 7]


def test_whole_list():
    assert window_max([2, 7, 1], 3) == [7]
    assert window_max([2, 7], 3) == []
