import pytest

from unionfind import DisjointSets


def test_starts_separate():
    s = DisjointSets("abc")
    assert s.count == 3 and not s.connected("a", "b")


def test_union_connects():
    s = DisjointSets("abcd")
    assert s.union("a", "b")
    s.union("c", "d")
    assert s.connected("a", "b") and not s.connected("b", "c")
    assert s.count == 2


def test_unknown_item():
    with pytest.raises(KeyError):
        DisjointSets("a").find("z")


def test_union_same_set_twice():
    s = DisjointSets("abc")
    s.union("a", "b")
    assert s.union("b", "a") is False
    assert s.count == 2


def test_groups_after_cycle():
    s = DisjointSets("abcd")
    s.union("a", "b")
    s.union("b", "c")
    s.union("c", "a")
    assert s.groups() == [["a", "b", "c"], ["d"]]
    assert s.size_of("a") == 3
