import pytest

from lru import LRUCache


def test_put_get():
    c = LRUCache(2)
    c.put("a", 1)
    assert c.get("a") == 1


def test_miss_default():
    assert LRUCache(1).get("x", 7) == 7


def test_evicts_oldest():
    c = LRUCache(2)
    c.put("a", 1)
    c.put("b", 2)
    c.put("c", 3)
    assert "a" not in c and len(c) == 2


def test_get_refreshes():
    c = LRUCache(2)
    c.put("a", 1)
    c.put("b", 2)
    c.get("a")
    c.put("c", 3)
    assert "a" in c and "b" not in c


def test_keys_order_after_get():
    c = LRUCache(3)
    for k in "abc":
        c.put(k, k)
    c.get("a")
    assert c.keys() == ["b", "c", "a"]


def test_hit_rate():
    c = LRUCache(1)
    c.put("a", 1)
    c.get("a")
    c.get("b")
    assert c.hit_rate() == 0.5


def test_bad_capacity():
    with pytest.raises(ValueError):
        LRUCache(0)
