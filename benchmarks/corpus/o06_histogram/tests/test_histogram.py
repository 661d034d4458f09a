from histogram import bucket_edges, histogram


def test_edges():
    assert bucket_edges(0, 10, 5) == [0, 5]


def test_histogram():
    assert histogram([1, 2, 7, 12], 0, 10, 5) == [2, 1]


def test_bad_width():
    import pytest
    with pytest.raises(ValueError):
        bucket_edges(0, 10, 0)
