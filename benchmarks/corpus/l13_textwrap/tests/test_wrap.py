import pytest

from wrap import fill, justify, truncate, wrap


def test_short_text():
    assert wrap("hello world", 20) == ["hello world"]


def test_wrap_exact_fit():
    assert wrap("aaa bbb ccc", 7) == ["aaa bbb", "ccc"]


def test_wrap_never_exceeds_width():
    assert all(len(line) <= 10 for line in wrap("abcde fghij klmno pq", 10))


def test_long_word_split():
    assert wrap("abcdefgh", 3) == ["abc", "def", "gh"]


def test_bad_width():
    with pytest.raises(ValueError):
        wrap("x", 0)


def test_justify():
    assert justify("a b c", 7) == "a  b  c"


def test_truncate():
    assert truncate("abcdefgh", 6) == "abc..."


def test_fill_one_word_per_line():
    assert fill("ab cd", 2) == "ab\ncd"
