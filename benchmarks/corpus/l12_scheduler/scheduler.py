"""A priority job scheduler: higher priority first, FIFO among equals, with cancellation."""

import heapq
import itertools


class Job:
    def __init__(self, name, priority):
        self.name = name
        self.priority = priority
        self.cancelled = False


class Scheduler:
    def __init__(self):
        self._heap = []
        self._counter = itertools.count()
        self._by_name = {}

    def submit(self, name, priority=0):
        if name in self._by_name:
            raise ValueError(f"duplicate job {name}")
        job = Job(name, priority)
        self._by_name[name] = job
        heapq.heappush(self._heap, (-priority, next(self._counter), job))
        return job

    def cancel(self, name):
        self._by_name[name].cancelled = True

    def next_job(self):
        while self._heap:
            _, priority, job = heapq.heappop(self._heap)
            del self._by_name[job.name]
            if not job.cancelled:
                return job.name, -priority
        return None

    def pending(self):
        return sorted(n for n, j in self._by_name.items() if not j.cancelled)

    def drain(self):
        out = []
        while (item := self.next_job()) is not None:
            out.append(item[0])
        return out
