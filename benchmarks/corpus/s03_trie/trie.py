"""A prefix tree of words for autocompletion."""


class _Node:
    __slots__ = ("children", "terminal", "count")

    def __init__(self):
        self.children = {}
        self.terminal = False
        self.count = 0  # words at or below this node


class Trie:
    def __init__(self, words=()):
        self._root = _Node()
        self._size = 0
        for word in words:
            self.insert(word)

    def __len__(self):
        return self._size

    def insert(self, word):
        if word in self:
            return False
        node = self._root
        for ch in word:
            node = node.children.setdefault(ch, _Node())
        node.terminal = True
        self._size += 1
        return True

    def _find(self, prefix):
        node = self._root
        for ch in prefix:
            node = node.children.get(ch)
            if node is None:
                return None
        return node

    def __contains__(self, word):
        node = self._find(word)
        return node is not None and node.terminal

    def count_prefix(self, prefix):
        if not prefix:
            return self._size
        node = self._find(prefix)
        return 0 if node is None else node.count

    def complete(self, prefix, limit=10):
        node = self._find(prefix)
        found = []
        if node is None:
            return found
        stack = [(node, prefix)]
        while stack and len(found) < limit:
            node, text = stack.pop()
            if node.terminal:
                found.append(text)
            for ch in sorted(node.children, reverse=True):
                stack.append((node.children[ch], text + ch))
        return found

    def remove(self, word):
        if word not in self:
            return False
        node = self._root
        for ch in word:
            child = node.children[ch]
            child.count -= 1
            if child.count == 0:
                del node.children[ch]
                break
            node = child
        else:
            node.terminal = False
        self._size -= 1
        return True
