"""Read a matrix in spiral order (clockwise from the top-left) and write one back."""


def spiral(matrix):
    if not matrix:
        return []
    top, bottom = 0, len(matrix) - 1
    left, right = 0, len(matrix[0]) - 1
    out = []
    while top <= bottom and left <= right:
        for c in range(left, right + 1):
            out.append(matrix[top][c])
        top += 1
        for r in range(top, bottom + 1):
            out.append(matrix[r][right])
        right -= 1
        for c in range(right, left - 1, -1):
            out.append(matrix[bottom][c])
        bottom -= 1
        if left <= right:
            for r in range(bottom, top - 1, -1):
                out.append(matrix[r][left])
            left += 1
    return out


def fill_spiral(rows, cols, values):
    """A rows x cols matrix filled in spiral order from ``values``."""
    values = list(values)
    if len(values) != rows * cols:
        raise ValueError(f"need {rows * cols} values, got {len(values)}")
    matrix = [[None] * cols for _ in range(rows)]
    cells = spiral([[(r, c) for c in range(cols)] for r in range(rows)])
    for (r, c), value in zip(cells, values):
        matrix[r][c] = value
    return matrix
