import pytest

from sudoku import box_of, candidates, conflicts, is_solved, parse

EMPTY = [[0] * 9 for _ in range(9)]


def grid_with(*cells):
    g = [row[:] for row in EMPTY]
    for r, c, d in cells:
        g[r][c] = d
    return g


def test_parse():
    g = parse("\n".join(["5" + "." * 8] + ["." * 9] * 8))
    assert g[0][0] == 5 and g[8][8] == 0


def test_parse_rejects_short():
    with pytest.raises(ValueError):
        parse("123")


def test_duplicate_in_row():
    assert conflicts(grid_with((0, 0, 4), (0, 8, 4))) == [(0, 0), (0, 8)]


def test_no_conflicts():
    assert conflicts(grid_with((0, 0, 1), (4, 4, 1))) == []


def test_candidates():
    assert candidates(grid_with((0, 1, 2), (1, 0, 3)), 0, 0) == set(range(4, 10)) | {1}


def test_duplicate_in_box():
    assert conflicts(grid_with((3, 3, 7), (5, 5, 7))) == [(3, 3), (5, 5)]


def test_box_numbering():
    assert [box_of(0, 0), box_of(0, 8), box_of(4, 4), box_of(8, 6)] == [0, 2, 4, 8]


def test_empty_not_solved():
    assert not is_solved(EMPTY)
