from matrix import multiply


def test_multiply_rectangular():
    assert multiply([[1, 2, 3]], [[1], [2], [3]]) == [[14]]


def test_multiply_shape_error():
    import pytest
    with pytest.raises(ValueError):
        multiply([[1, 2]], [[1, 2]])
