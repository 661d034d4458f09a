from jobs import run_order


def test_chain():
    assert run_order(["c", "b", "a"], {"c": ["b"], "b": ["a"]}) == ["a", "b", "c"]


def test_nothing():
    assert run_order([], {}) == []
