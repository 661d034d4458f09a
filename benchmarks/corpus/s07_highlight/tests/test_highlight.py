import pytest

from highlight import count, find_all, highlight, snippet


def test_find_all_words():
    assert find_all("the cat and the hat", "the") == [0, 12]


def test_ignore_case():
    assert count("Go go GO", "go") == 3
    assert count("Go go GO", "go", ignore_case=False) == 1


def test_empty_term():
    with pytest.raises(ValueError):
        find_all("abc", "")


def test_highlight_keeps_case():
    assert highlight("Python and python", "python") == "[Python] and [python]"


def test_count_does_not_overlap():
    assert count("aaaa", "aa") == 2


def test_highlight_repeated_letters():
    assert highlight("banana", "ana", "<", ">") == "b<ana>na"


def test_snippet():
    assert snippet("a" * 30 + "needle" + "b" * 30, "needle", width=10) == "...aaaaaneedl..."
