"""Unweighted directed graphs: adjacency, BFS shortest path, reachability, cycles."""

from collections import deque


class Graph:
    def __init__(self):
        self.edges = {}

    def add_edge(self, a, b):
        self.edges.setdefault(a, []).append(b)
        self.edges.setdefault(b, [])

    def neighbours(self, node):
        return self.edges.get(node, [])


def shortest_path(graph, start, goal):
    if start == goal:
        return [start]
    parent = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for neighbour in graph.neighbours(node):
            if neighbour not in parent:
                parent[neighbour] = start
                if neighbour == goal:
                    return _walk_back(parent, goal)
                queue.append(neighbour)
    return None


def _walk_back(parent, node):
    path = []
    while node is not None:
        path.append(node)
        node = parent[node]
    return path[::-1]


def reachable(graph, start):
    seen = {start}
    stack = [start]
    while stack:
        for n in graph.neighbours(stack.pop()):
            if n not in seen:
                seen.add(n)
                stack.append(n)
    return seen


def has_cycle(graph):
    state = {}

    def visit(node):
        state[node] = "active"
        for n in graph.neighbours(node):
            if state.get(n) == "active" or (n not in state and visit(n)):
                return True
        state[node] = "done"
        return False

    return any(node not in state and visit(node) for node in list(graph.edges))
