from wrap import wrap


def test_width_boundary():
    assert wrap("ab cd ef", 4) == ["ab", "cd", "ef"]


def test_paragraph():
    text = "the quick brown fox jumps over the lazy dog"
    assert wrap(text, 10) == ["the quick", "brown fox", "jumps over", "the lazy", "dog"]
