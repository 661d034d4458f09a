"""Check sudoku grids (9x9, 0 for an empty cell) and list the candidates of a cell."""


def box_of(row, col):
    """The 3x3 box of a cell, numbered 0-8 left to right, top to bottom."""
    return (row // 3) * 3 + col % 3


def parse(text):
    rows = [[int(ch) if ch.isdigit() else 0 for ch in line.strip()]
            for line in text.strip().splitlines()]
    if len(rows) != 9 or any(len(r) != 9 for r in rows):
        raise ValueError("a grid has 9 rows of 9 cells")
    return rows


def conflicts(grid):
    """The (row, col) cells whose digit repeats in their row, column or box."""
    groups = {}
    for r in range(9):
        for c in range(9):
            digit = grid[r][c]
            if digit:
                for group in (("row", r), ("col", c), ("box", box_of(r, c))):
                    groups.setdefault((group, digit), []).append((r, c))
    bad = set()
    for cells in groups.values():
        if len(cells) > 1:
            bad.update(cells)
    return sorted(bad)


def candidates(grid, row, col):
    if grid[row][col]:
        return set()
    used = set(grid[row]) | {grid[r][col] for r in range(9)}
    used |= {grid[r][c] for r in range(9) for c in range(9)
             if box_of(r, c) == box_of(row, col)}
    return set(range(1, 10)) - used


def is_solved(grid):
    return all(all(row) for row in grid) and not conflicts(grid)
