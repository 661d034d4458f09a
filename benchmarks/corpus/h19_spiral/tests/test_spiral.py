import pytest

from spiral import fill_spiral, spiral


def test_empty():
    assert spiral([]) == []


def test_one_cell():
    assert spiral([[7]]) == [7]


def test_fill_rejects_wrong_count():
    with pytest.raises(ValueError):
        fill_spiral(2, 2, [1, 2, 3])


def test_two_rows():
    assert spiral([[1, 2, 3, 4], [5, 6, 7, 8]]) == [1, 2, 3, 4, 8, 7, 6, 5]


def test_wide_matrix():
    m = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
    assert spiral(m) == [1, 2, 3, 4, 8, 12, 11, 10, 9, 5, 6, 7]


def test_single_row():
    assert spiral([[1, 2, 3]]) == [1, 2, 3]
