from search import count_in_range, lower_bound


def test_lower_bound_edges():
    assert lower_bound([], 1) == 0
    assert lower_bound([5, 6], 1) == 0
    assert lower_bound([5, 6], 9) == 2


def test_count_all_equal():
    assert count_in_range([7, 7, 7], 7, 7) == 3
