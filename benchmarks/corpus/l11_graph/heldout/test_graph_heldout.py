from graph import Graph, shortest_path


def test_prefers_shorter_route():
    g = Graph()
    for a, b in [("s", "a"), ("a", "b"), ("b", "t"), ("s", "c"), ("c", "t")]:
        g.add_edge(a, b)
    assert shortest_path(g, "s", "t") == ["s", "c", "t"]


def test_long_chain():
    g = Graph()
    for i in range(6):
        g.add_edge(i, i + 1)
    assert shortest_path(g, 0, 6) == list(range(7))
