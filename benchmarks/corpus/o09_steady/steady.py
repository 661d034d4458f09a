"""Steady-state statistics of a benchmark's timings."""


def steady_mean(timings, warmup):
    """Mean of the timings after the first `warmup` runs."""
    total = 0.0
    count = 0
    for t in timings:
        total += t
        count += 1
    if count == 0:
        return None
    return total / count


def spread(timings, warmup):
    kept = timings[warmup:]
    if not kept:
        return None
    return max(kept) - min(kept)
