"""Maximum over a sliding window of readings (monotonic deque, linear time)."""

from collections import deque


def window_max(values, size):
    """The maximum of each full window of ``size`` consecutive values."""
    if size < 1:
        raise ValueError("window size must be at least 1")
    out = []
    best = deque()  # indexes whose values decrease from front to back
    for i, value in enumerate(values):
        while best and values[best[-1]] <= value:
            best.pop()
        best.append(i)
        if best[0] < i - size:
            best.popleft()
        if i >= size - 1:
            out.append(values[best[0]])
    return out


def busiest(counts, hours):
    """(start index, total) of the ``hours``-long stretch with the most events."""
    if hours > len(counts):
        raise ValueError("stretch longer than the data")
    total = best_total = sum(counts[:hours])
    best_start = 0
    for start in range(1, len(counts) - hours + 1):
        total += counts[start + hours - 1] - counts[start - 1]
        if total > best_total:
            best_start, best_total = start, total
    return best_start, best_total


def peak_alerts(values, size, limit):
    """Indexes of the windows whose maximum exceeds ``limit``."""
    return [i for i, m in enumerate(window_max(values, size)) if m > limit]
