from jobs import blocked, run_order


def test_no_deps():
    assert run_order(["a", "b"], {}) == ["a", "b"]


def test_dep_first():
    assert run_order(["b", "a"], {"b": ["a"]}) == ["a", "b"]


def test_blocked():
    assert blocked(["a"], {"a": ["z"]}) == ["a"]
