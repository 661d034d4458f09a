from intervals import gaps, intersect, merge, normalize, total_length


def test_normalize_swaps():
    assert normalize([(5, 1)]) == [(1, 5)]


def test_merge_disjoint():
    assert merge([(5, 6), (1, 2)]) == [(1, 2), (5, 6)]


def test_merge_overlapping_extends():
    assert merge([(1, 3), (2, 6)]) == [(1, 6)]


def test_merge_contained():
    assert merge([(1, 5), (2, 3)]) == [(1, 5)]


def test_total_length_nested():
    assert total_length([(0, 10), (2, 4)]) == 10


def test_intersect():
    assert intersect([(0, 4)], [(2, 8)]) == [(2, 4)]


def test_gaps_simple():
    assert gaps([(2, 3)], 0, 5) == [(0, 2), (3, 5)]
