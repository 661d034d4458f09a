"""A binary min-heap with an optional key, for priority scheduling."""


class MinHeap:
    def __init__(self, items=(), key=None):
        self._key = key or (lambda x: x)
        self._items = []
        for item in items:
            self.push(item)

    def __len__(self):
        return len(self._items)

    def _less(self, i, j):
        return self._key(self._items[i]) < self._key(self._items[j])

    def _swap(self, i, j):
        self._items[i], self._items[j] = self._items[j], self._items[i]

    def push(self, item):
        self._items.append(item)
        i = len(self._items) - 1
        while i > 0:
            parent = (i - 1) // 2
            if not self._less(i, parent):
                break
            self._swap(i, parent)
            i = parent

    def peek(self):
        if not self._items:
            raise IndexError("peek from an empty heap")
        return self._items[0]

    def pop(self):
        if not self._items:
            raise IndexError("pop from an empty heap")
        self._swap(0, len(self._items) - 1)
        top = self._items.pop()
        self._sift_down(0)
        return top

    def _sift_down(self, i):
        n = len(self._items)
        while True:
            left, right = 2 * i + 1, 2 * i + 2
            smallest = i
            if left < n - 1 and self._less(left, smallest):
                smallest = left
            if right < n and self._less(right, smallest):
                smallest = right
            if smallest == i:
                return
            self._swap(i, smallest)
            i = smallest


def nsmallest(items, n, key=None):
    heap = MinHeap(items, key=key)
    return [heap.pop() for _ in range(min(n, len(heap)))]
