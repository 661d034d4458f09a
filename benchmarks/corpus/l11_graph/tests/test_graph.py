from graph import Graph, has_cycle, reachable, shortest_path


def chain(*nodes):
    g = Graph()
    for a, b in zip(nodes, nodes[1:]):
        g.add_edge(a, b)
    return g


def test_same_node():
    assert shortest_path(chain("a", "b"), "a", "a") == ["a"]


def test_direct_edge():
    assert shortest_path(chain("a", "b"), "a", "b") == ["a", "b"]


def test_three_hops():
    assert shortest_path(chain("a", "b", "c", "d"), "a", "d") == ["a", "b", "c", "d"]


def test_two_hops():
    assert shortest_path(chain("a", "b", "c"), "a", "c") == ["a", "b", "c"]


def test_unreachable():
    assert shortest_path(chain("a", "b"), "b", "a") is None


def test_reachable():
    assert reachable(chain("a", "b", "c"), "b") == {"b", "c"}


def test_cycle():
    g = chain("a", "b", "c")
    g.add_edge("c", "a")
    assert has_cycle(g) and not has_cycle(chain("x", "y"))
