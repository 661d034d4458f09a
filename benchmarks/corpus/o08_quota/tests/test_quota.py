from quota import allocate, leftover


def test_fits():
    assert allocate([("a", 2), ("b", 3)], 10) == [("a", 2), ("b", 3)]


def test_runs_out():
    assert allocate([("a", 6), ("b", 6), ("c", 1)], 10) == [("a", 6), ("b", 4), ("c", 0)]


def test_leftover():
    assert leftover([("a", 3)], 10) == 7
