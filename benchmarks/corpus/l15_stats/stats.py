"""Descriptive statistics: mean, median, percentiles, variance, histogram."""

import math


def mean(values):
    if not values:
        raise ValueError("no values")
    return sum(values) / len(values)


def median(values):
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("no values")
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values, p):
    if not 0 <= p <= 100:
        raise ValueError("p must be within 0..100")
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    step = 100 / (len(ordered) - 1)
    rank = p / step
    low = math.floor(rank)
    high = math.ceil(rank)
    frac = (rank - low) / (high - low) if high != low else 0.0
    return ordered[low] + (ordered[high] - ordered[low]) * frac


def variance(values):
    m = mean(values)
    return sum((v - m) ** 2 for v in values) / len(values)


def stdev(values):
    return math.sqrt(variance(values))


def histogram(values, bins):
    lo, hi = min(values), max(values)
    width = (hi - lo) / bins or 1
    counts = [0] * bins
    for v in values:
        index = min(int((v - lo) / width), bins - 1)
        counts[index] += 1
    return counts
