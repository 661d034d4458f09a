from spiral import fill_spiral, spiral


def test_square():
    assert spiral([[1, 2, 3], [4, 5, 6], [7, 8, 9]]) == [1, 2, 3, 6, 9, 8, 7, 4, 5]


def test_tall():
    assert spiral([[1], [2], [3]]) == [1, 2, 3]


def test_long_row():
    assert spiral([list("abcde")]) == list("abcde")


def test_fill_round_trip():
    m = fill_spiral(3, 4, range(12))
    assert spiral(m) == list(range(12))
