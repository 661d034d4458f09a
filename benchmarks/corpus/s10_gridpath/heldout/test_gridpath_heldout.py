from gridpath import cheapest_path


def test_down_then_right():
    total, path = cheapest_path([[1, 5, 5], [1, 5, 5], [1, 1, 1]])
    assert total == 5
    assert path == [(0, 0), (1, 0), (2, 0), (2, 1), (2, 2)]


def test_long_top_row():
    assert cheapest_path([[1, 1, 1, 1, 1], [50, 50, 50, 50, 1]])[0] == 6
