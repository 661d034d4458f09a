"""Disjoint sets (union-find) with path compression and union by size."""


class DisjointSets:
    def __init__(self, items=()):
        self._parent = {}
        self._size = {}
        self.count = 0
        for item in items:
            self.add(item)

    def add(self, item):
        if item not in self._parent:
            self._parent[item] = item
            self._size[item] = 1
            self.count += 1

    def find(self, item):
        root = item
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[item] != root:
            self._parent[item], item = root, self._parent[item]
        return root

    def union(self, a, b):
        """Merge the sets of ``a`` and ``b``; False if they were already one set."""
        ra, rb = self.find(a), self.find(b)
        if self._size[ra] < self._size[rb]:
            ra, rb = rb, ra
        self._parent[rb] = ra
        self._size[ra] += self._size[rb]
        self.count -= 1
        return True

    def connected(self, a, b):
        return self.find(a) == self.find(b)

    def size_of(self, item):
        return self._size[self.find(item)]

    def groups(self):
        out = {}
        for item in self._parent:
            out.setdefault(self.find(item), []).append(item)
        return sorted(sorted(g) for g in out.values())
