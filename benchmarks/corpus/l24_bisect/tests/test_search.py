from search import contains, count_in_range, insert_sorted, lower_bound, upper_bound


def test_lower_bound_missing():
    assert lower_bound([1, 3, 5], 4) == 2


def test_lower_bound_duplicates():
    assert lower_bound([1, 2, 2, 2, 3], 2) == 1


def test_upper_bound():
    assert upper_bound([1, 2, 2, 3], 2) == 3


def test_contains():
    assert contains([1, 4, 9], 9) and not contains([1, 4, 9], 5)


def test_count_in_range():
    assert count_in_range([1, 2, 3, 4, 5], 2, 4) == 3


def test_insert_sorted():
    assert insert_sorted([1, 3], 2) == [1, 2, 3]
