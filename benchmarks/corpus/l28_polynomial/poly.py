"""Polynomials as coefficient lists, lowest degree first: [1, 0, 3] is 1 + 3x^2."""


def trim(coeffs):
    coeffs = list(coeffs)
    while len(coeffs) > 1 and coeffs[-1] == 0:
        coeffs.pop()
    return coeffs


def evaluate(coeffs, x):
    total = 0
    for c in reversed(coeffs):
        total = total * x + c
    return total


def add(p, q):
    n = max(len(p), len(q))
    return trim([(p[i] if i < len(p) else 0) + (q[i] if i < len(q) else 0) for i in range(n)])


def multiply(p, q):
    out = [0] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            out[i + j] += a * b
    return trim(out)


def derivative(coeffs):
    result = [i * c for i, c in enumerate(coeffs)][1:]
    return result


def degree(coeffs):
    return len(trim(coeffs)) - 1


def to_string(coeffs):
    terms = []
    for power, c in enumerate(coeffs):
        if c:
            terms.append(f"{c}" if power == 0 else f"{c}x^{power}")
    return " + ".join(terms) or "0"
