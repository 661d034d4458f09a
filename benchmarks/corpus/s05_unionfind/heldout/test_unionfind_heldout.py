from unionfind import DisjointSets


def test_self_union():
    s = DisjointSets([1, 2])
    assert s.union(1, 1) is False
    assert s.count == 2 and s.size_of(1) == 1


def test_sizes_add_up():
    s = DisjointSets(range(6))
    for a, b in [(0, 1), (2, 3), (1, 0), (0, 2), (3, 1)]:
        s.union(a, b)
    assert s.size_of(3) == 4
    assert s.count == 3


def test_add_later():
    s = DisjointSets()
    s.add("x")
    s.add("x")
    assert s.count == 1
