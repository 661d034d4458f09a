"""Share a fixed capacity among requests, first come first served."""


def allocate(requests, capacity):
    """[(name, granted)] for each (name, wanted) request."""
    granted = []
    used = 0
    for name, wanted in requests:
        give = min(wanted, capacity)
        granted.append((name, give))
        used += give
    return granted


def leftover(requests, capacity):
    return capacity - sum(g for _, g in allocate(requests, capacity))
