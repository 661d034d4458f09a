"""A fixed-capacity ring buffer that overwrites its oldest items, with a moving average."""


class RingBuffer:
    def __init__(self, capacity):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._items = [None] * capacity
        self._start = 0
        self._size = 0

    def push(self, item):
        end = (self._start + self._size) % self.capacity
        self._items[end] = item
        if self._size > self.capacity:
            self._start = (self._start + 1) % self.capacity
        else:
            self._size += 1

    def __len__(self):
        return self._size

    def items(self):
        return [self._items[(self._start + i) % self.capacity] for i in range(self._size)]

    def latest(self):
        if not self._size:
            raise IndexError("empty buffer")
        return self._items[(self._start + self._size - 1) % self.capacity]

    def average(self):
        values = self.items()
        return sum(values) / len(values) if values else 0.0


def moving_averages(values, window):
    buf = RingBuffer(window)
    out = []
    for v in values:
        buf.push(v)
        out.append(round(buf.average(), 3))
    return out
