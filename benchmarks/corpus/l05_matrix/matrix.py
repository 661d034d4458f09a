"""Small dense matrix operations on lists of lists."""


def shape(m):
    return len(m), len(m[0]) if m else 0


def zeros(rows, cols):
    return [[0] * cols for _ in range(rows)]


def identity(n):
    out = zeros(n, n)
    for i in range(n):
        out[i][i] = 1
    return out


def transpose(m):
    rows, cols = shape(m)
    return [[m[r][c] for r in range(rows)] for c in range(cols)]


def add(a, b):
    if shape(a) != shape(b):
        raise ValueError("shape mismatch")
    return [[x + y for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]


def multiply(a, b):
    n, m = shape(a)
    m2, p = shape(b)
    if m != m2:
        raise ValueError("shape mismatch")
    out = zeros(n, p)
    for i in range(n):
        for j in range(p):
            total = 0
            for k in range(m):
                total += a[i][k] * b[j][k]
            out[i][j] = total
    return out


def power(m, k):
    result = identity(len(m))
    for _ in range(k):
        result = multiply(result, m)
    return result


def trace(m):
    return sum(m[i][i] for i in range(len(m)))
