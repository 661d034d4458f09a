from roads import route_cost


def test_back_and_forth():
    graph = {"x": {"y": 1}, "y": {"x": 10}}
    assert route_cost(graph, ["x", "y", "x"]) == 11
