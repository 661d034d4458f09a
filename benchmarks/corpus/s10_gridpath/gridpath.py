"""Cheapest path through a cost grid moving only right or down."""


def cheapest_path(grid):
    """(total cost, list of (row, col)) from the top-left to the bottom-right cell."""
    if not grid or not grid[0]:
        raise ValueError("empty grid")
    rows, cols = len(grid), len(grid[0])
    if any(len(row) != cols for row in grid):
        raise ValueError("ragged grid")
    cost = [[0] * cols for _ in range(rows)]
    cost[0][0] = grid[0][0]
    for c in range(1, cols):
        cost[0][c] = grid[0][c - 1] + grid[0][c]
    for r in range(1, rows):
        cost[r][0] = cost[r - 1][0] + grid[r][0]
    for r in range(1, rows):
        for c in range(1, cols):
            cost[r][c] = grid[r][c] + min(cost[r - 1][c], cost[r][c - 1])
    return cost[-1][-1], _walk_back(cost, rows - 1, cols - 1)


def _walk_back(cost, r, c):
    path = [(r, c)]
    while (r, c) != (0, 0):
        if r == 0:
            c -= 1
        elif c == 0:
            r -= 1
        elif cost[r - 1][c] <= cost[r][c - 1]:
            r -= 1
        else:
            c -= 1
        path.append((r, c))
    return path[::-1]


def parse_grid(text):
    return [[int(x) for x in line.split()] for line in text.strip().splitlines()]
