import pytest

from matrix import add, identity, multiply, power, trace, transpose


def test_transpose():
    assert transpose([[1, 2, 3]]) == [[1], [2], [3]]


def test_add():
    assert add([[1, 2]], [[3, 4]]) == [[4, 6]]


def test_add_mismatch():
    with pytest.raises(ValueError):
        add([[1]], [[1, 2]])


def test_multiply_identity():
    m = [[1, 2], [3, 4]]
    assert multiply(identity(2), m) == m


def test_multiply_square():
    assert multiply([[1, 2], [3, 4]], [[5, 6], [7, 8]]) == [[19, 22], [43, 50]]


def test_multiply_symmetric():
    s = [[2, 1], [1, 2]]
    assert multiply(s, s) == [[5, 4], [4, 5]]


def test_power():
    assert power([[1, 1], [0, 1]], 3) == [[1, 3], [0, 1]]


def test_trace():
    assert trace([[1, 9], [9, 5]]) == 6
