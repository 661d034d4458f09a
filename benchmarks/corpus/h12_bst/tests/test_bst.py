from bst import TreeMap


def make(*keys):
    t = TreeMap()
    for k in keys:
        t.put(k, str(k))
    return t


def test_put_get_and_order():
    t = make(5, 2, 8, 1)
    assert t.get(8) == "8" and t.get(7) is None
    assert t.keys() == [1, 2, 5, 8]


def test_put_replaces():
    t = make(1)
    t.put(1, "one")
    assert len(t) == 1 and t.get(1) == "one"


def test_delete_leaf_and_inner():
    t = make(5, 2, 8, 7, 9)
    assert t.delete(8)
    assert t.keys() == [2, 5, 7, 9] and len(t) == 4


def test_delete_root():
    t = make(5, 2, 8)
    t.delete(5)
    assert t.keys() == [2, 8]


def test_delete_missing_key():
    t = make(5, 2, 8)
    assert t.delete(6) is False
    assert len(t) == 3
