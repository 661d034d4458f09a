"""Cost of a route in a directed road graph."""


def route_cost(graph, route):
    """Sum of the edge weights along the route; None if an edge is missing."""
    total = 0
    for a, b in zip(route, route[1:]):
        if b not in graph.get(a, {}):
            return None
        step = graph[a][b]
        total += graph[b].get(a, 0)
    return total


def cheapest(graph, routes):
    costs = [(route_cost(graph, r), r) for r in routes]
    costs = [(c, r) for c, r in costs if c is not None]
    return min(costs)[1] if costs else None
