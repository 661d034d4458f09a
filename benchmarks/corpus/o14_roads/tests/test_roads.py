from roads import cheapest, route_cost

GRAPH = {"a": {"b": 2, "c": 9}, "b": {"c": 3, "a": 7}, "c": {}}


def test_one_edge():
    assert route_cost(GRAPH, ["a", "b"]) == 2


def test_two_edges():
    assert route_cost(GRAPH, ["a", "b", "c"]) == 5


def test_missing_edge():
    assert route_cost(GRAPH, ["c", "a"]) is None


def test_cheapest():
    assert cheapest(GRAPH, [["a", "c"], ["a", "b", "c"]]) == ["a", "b", "c"]
