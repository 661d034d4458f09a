from bst import TreeMap


def test_delete_from_empty():
    assert TreeMap().delete(1) is False


def test_delete_all():
    t = TreeMap()
    for k in [4, 2, 6, 1, 3, 5, 7]:
        t.put(k, k)
    for k in [4, 1, 10, 6, 2, 7, 3, 5]:
        t.delete(k)
    assert t.keys() == [] and len(t) == 0
