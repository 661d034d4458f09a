from trie import Trie


def make():
    return Trie(["car", "cart", "care", "dog"])


def test_contains():
    t = make()
    assert "cart" in t and "ca" not in t and "cat" not in t


def test_len_ignores_duplicates():
    t = make()
    assert t.insert("car") is False
    assert len(t) == 4


def test_complete():
    assert make().complete("car") == ["car", "care", "cart"]
    assert make().complete("x") == []


def test_count_prefix():
    t = make()
    assert t.count_prefix("car") == 3
    assert t.count_prefix("") == 4


def test_remove_keeps_other_words():
    t = make()
    assert t.remove("cart")
    assert "car" in t and "care" in t and "cart" not in t
