"""A FIFO queue built from two stacks (amortised O(1)), with a bounded variant."""


class Empty(Exception):
    pass


class Queue:
    def __init__(self, items=()):
        self._in = []
        self._out = []
        for item in items:
            self.put(item)

    def __len__(self):
        return len(self._in) + len(self._out)

    def put(self, item):
        self._in.append(item)

    def _refill(self):
        while self._in:
            self._out.append(self._in.pop())

    def get(self):
        self._refill()
        if not self._out:
            raise Empty("get from an empty queue")
        return self._out.pop()

    def peek(self):
        self._refill()
        if not self._out:
            raise Empty("peek at an empty queue")
        return self._out[-1]


class BoundedQueue(Queue):
    """Drops the oldest item when full."""

    def __init__(self, limit, items=()):
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.dropped = 0
        super().__init__(items)

    def put(self, item):
        if len(self) == self.limit:
            self.get()
            self.dropped += 1
        super().put(item)
