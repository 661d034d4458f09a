"""Longest common subsequence of two token lists (for diffs)."""


def lcs_length(a, b):
    table = {}
    for r in range(len(a) + 1):
        for c in range(len(b) + 1):
            if r == 0 or c == 0:
                table[r, c] = 0
            elif a[r - 1] == b[c - 1]:
                table[r, c] = table[r - 1, c] + 1
            else:
                table[r, c] = max(table[r - 1, c], table[r, c - 1])
    return table[len(a), len(b)]


def similarity(a, b):
    if not a and not b:
        return 1.0
    return 2 * lcs_length(a, b) / (len(a) + len(b))
