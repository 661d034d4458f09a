import pytest

from gridpath import cheapest_path, parse_grid


def test_one_cell():
    assert cheapest_path([[7]]) == (7, [(0, 0)])


def test_single_column():
    assert cheapest_path([[1], [2], [3]])[0] == 6


def test_rejects_ragged():
    with pytest.raises(ValueError):
        cheapest_path([[1, 2], [3]])


def test_parse_grid():
    assert parse_grid("1 2\n3 4\n") == [[1, 2], [3, 4]]


def test_single_row():
    assert cheapest_path([[1, 2, 3, 4]])[0] == 10


def test_three_by_three():
    grid = parse_grid("""
        1 1 1
        9 9 1
        9 9 1
    """)
    total, path = cheapest_path(grid)
    assert total == 5
    assert path == [(0, 0), (0, 1), (0, 2), (1, 2), (2, 2)]
