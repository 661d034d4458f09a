from sudoku import box_of, candidates, conflicts, is_solved

SOLVED = [[(3 * (r % 3) + r // 3 + c) % 9 + 1 for c in range(9)] for r in range(9)]


def test_solved_grid():
    assert is_solved(SOLVED)


def test_box_candidates():
    g = [[0] * 9 for _ in range(9)]
    g[6][7] = 5
    assert 5 not in candidates(g, 8, 8)
    assert 5 in candidates(g, 8, 5)


def test_every_box_has_nine_cells():
    counts = [0] * 9
    for r in range(9):
        for c in range(9):
            counts[box_of(r, c)] += 1
    assert counts == [9] * 9


def test_same_box_other_corner():
    g = [[0] * 9 for _ in range(9)]
    g[0][6] = 3
    g[2][8] = 3
    assert conflicts(g) == [(0, 6), (2, 8)]
