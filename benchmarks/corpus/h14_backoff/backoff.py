"""Retry delays with exponential backoff and a cap, and a retry loop that uses them."""


def delay(attempt, base=0.5, factor=2.0, cap=30.0):
    """Seconds to wait before retry number ``attempt`` (1 for the first retry)."""
    if attempt < 1:
        raise ValueError("attempts are counted from 1")
    return min(cap, base * factor ** attempt)


def delays(retries, **kwargs):
    return [delay(n, **kwargs) for n in range(1, retries + 1)]


def retry(action, retries=3, sleep=None, retry_on=(OSError,), **kwargs):
    """Call ``action`` until it succeeds, at most ``retries`` extra times.

    ``sleep`` receives each wait (pass ``time.sleep``; by default waits are only
    recorded). Returns (result, waits)."""
    waits = []
    for attempt in range(retries + 1):
        try:
            return action(), waits
        except retry_on:
            if attempt == retries:
                raise
            wait = delay(attempt + 1, **kwargs)
            waits.append(wait)
            if sleep is not None:
                sleep(wait)
    raise AssertionError("unreachable")
