"""A moving average over the last N readings, in constant time per reading."""

from collections import deque


class MovingAverage:
    def __init__(self, size):
        if size < 1:
            raise ValueError("window size must be at least 1")
        self.size = size
        self._window = deque()
        self._total = 0.0

    def add(self, value):
        self._window.append(value)
        self._total += value
        if len(self._window) > self.size:
            old = self._window.popleft()
            self._total -= value
        return self.value

    @property
    def value(self):
        if not self._window:
            return None
        return self._total / len(self._window)

    @property
    def full(self):
        return len(self._window) == self.size

    def reset(self):
        self._window.clear()
        self._total = 0.0


def smooth(values, size):
    """The moving average after each value; None entries are skipped."""
    avg = MovingAverage(size)
    out = []
    for v in values:
        if v is None:
            out.append(avg.value)
        else:
            out.append(avg.add(v))
    return out
