"""A job queue with priorities and retries: higher priority first, FIFO within one."""

import itertools


class JobQueue:
    def __init__(self, max_retries=2):
        self.max_retries = max_retries
        self._items = []
        self._counter = itertools.count()
        self.failed = []

    def push(self, name, priority=0, attempt=0):
        self._items.append((-priority, next(self._counter), name, attempt))
        self._items.sort()

    def pop(self):
        _, _, name, attempt = self._items.pop(0)
        return name, attempt

    def retry(self, name, attempt, priority=0):
        if attempt + 1 > self.max_retries:
            self.failed.append(name)
            return False
        self.push(name, priority, attempt + 1)
        return True

    def __len__(self):
        return len(self._items)
