"""An unbalanced binary search tree map (keys kept in order)."""


class _Node:
    __slots__ = ("key", "value", "left", "right")

    def __init__(self, key, value):
        self.key, self.value = key, value
        self.left = self.right = None


def _insert(node, key, value):
    if node is None:
        return _Node(key, value), True
    added = False
    if key < node.key:
        node.left, added = _insert(node.left, key, value)
    elif key > node.key:
        node.right, added = _insert(node.right, key, value)
    else:
        node.value = value
    return node, added


def _delete(node, key):
    """(the subtree without ``key``, whether it was there)."""
    if key < node.key:
        node.left, found = _delete(node.left, key)
        return node, found
    if key > node.key:
        node.right, found = _delete(node.right, key)
        return node, found
    if node.left is None:
        return node.right, True
    if node.right is None:
        return node.left, True
    successor = node.right
    while successor.left is not None:
        successor = successor.left
    node.key, node.value = successor.key, successor.value
    node.right, _ = _delete(node.right, successor.key)
    return node, True


class TreeMap:
    def __init__(self):
        self._root = None
        self._size = 0

    def __len__(self):
        return self._size

    def put(self, key, value):
        self._root, added = _insert(self._root, key, value)
        self._size += added

    def get(self, key, default=None):
        node = self._root
        while node is not None:
            if key == node.key:
                return node.value
            node = node.left if key < node.key else node.right
        return default

    def delete(self, key):
        self._root, found = _delete(self._root, key)
        self._size -= found
        return found

    def keys(self):
        out, stack, node = [], [], self._root
        while stack or node is not None:
            while node is not None:
                stack.append(node)
                node = node.left
            node = stack.pop()
            out.append(node.key)
            node = node.right
        return out
