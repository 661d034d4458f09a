from quota import allocate, leftover


def test_exact():
    assert allocate([("a", 5), ("b", 5), ("c", 5)], 10) == [("a", 5), ("b", 5), ("c", 0)]
    assert leftover([("a", 20), ("b", 1)], 10) == 0
