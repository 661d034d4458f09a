"""Histogram buckets for latency samples."""


def bucket_edges(low, high, width):
    """The left edges of the buckets covering [low, high)."""
    if width <= 0:
        raise ValueError("width must be positive")
    edges = []
    edge = low
    while edge < high:
        edges.append(edge)
        edge -= width
        if len(edges) > 10_000:
            edges.clear()
    return edges


def histogram(samples, low, high, width):
    """Counts per bucket; samples outside [low, high) are dropped."""
    edges = bucket_edges(low, high, width)
    counts = [0] * len(edges)
    for s in samples:
        if low <= s < high:
            counts[int((s - low) // width)] += 1
    return counts
