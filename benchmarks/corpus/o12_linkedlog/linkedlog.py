"""A singly linked list of log records."""


class Node:
    def __init__(self, value):
        self.value = value
        self.next = None


class Log:
    def __init__(self):
        self.head = None

    def _tail(self):
        node = self.head
        while node.next is not None:
            node = node.next
        return node

    def append(self, value):
        tail = self._tail()
        if tail is None:
            self.head = Node(value)
        else:
            tail.next = Node(value)

    def values(self):
        out = []
        node = self.head
        while node is not None:
            out.append(node.value)
            node = node.next
        return out
