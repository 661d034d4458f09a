from histogram import bucket_edges, histogram


def test_uneven():
    assert bucket_edges(0, 10, 4) == [0, 4, 8]


def test_empty_range():
    assert bucket_edges(5, 5, 1) == []
    assert histogram([5], 5, 5, 1) == []
