from intervals import gaps, merge


def test_merge_chain():
    assert merge([(1, 10), (2, 3), (4, 5), (11, 12)]) == [(1, 10), (11, 12)]


def test_gaps_nested():
    assert gaps([(1, 9), (2, 3)], 0, 10) == [(0, 1), (9, 10)]
