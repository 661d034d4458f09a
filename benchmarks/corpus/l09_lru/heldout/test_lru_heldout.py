from lru import LRUCache


def test_update_refreshes():
    c = LRUCache(2)
    c.put("a", 1)
    c.put("b", 2)
    c.put("a", 3)
    c.put("c", 4)
    assert c.keys() == ["a", "c"] and c.get("a") == 3
