"""Closed integer intervals: merge, intersect, total length, gaps."""


def normalize(intervals):
    out = []
    for start, end in intervals:
        if start > end:
            start, end = end, start
        out.append((start, end))
    return sorted(out)


def merge(intervals):
    merged = []
    for start, end in normalize(intervals):
        if merged and start <= merged[-1][1]:
            last_start, last_end = merged[-1]
            merged[-1] = (last_start, min(last_end, end))
        else:
            merged.append((start, end))
    return merged


def total_length(intervals):
    return sum(end - start for start, end in merge(intervals))


def intersect(a, b):
    result = []
    i = j = 0
    a, b = merge(a), merge(b)
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if start <= end:
            result.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return result


def gaps(intervals, lo, hi):
    out = []
    cursor = lo
    for start, end in merge(intervals):
        if start > cursor:
            out.append((cursor, min(start, hi)))
        cursor = max(cursor, end)
    if cursor < hi:
        out.append((cursor, hi))
    return out
