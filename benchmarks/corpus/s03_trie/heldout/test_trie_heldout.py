from trie import Trie


def test_count_after_remove():
    t = Trie(["ab", "abc", "b"])
    t.remove("abc")
    assert t.count_prefix("ab") == 1
    assert t.complete("a") == ["ab"]


def test_remove_prefix_word():
    t = Trie(["ab", "abc"])
    assert t.remove("ab")
    assert "abc" in t and "ab" not in t
    assert t.count_prefix("a") == 1


def test_count_missing():
    assert Trie(["x"]).count_prefix("y") == 0
