import pytest

from tokenizer import kinds, tokenize, values


def test_simple_sum():
    assert values("1 + 2 ") == [1, "+", 2]


def test_trailing_number():
    assert values("1 + 23") == [1, "+", 23]


def test_single_number():
    assert values("42") == [42]


def test_names():
    assert kinds("x * y_2") == ["name", "op", "name"]


def test_parentheses():
    assert values("(a+1) ") == ["(", "a", "+", 1, ")"]


def test_bad_character():
    with pytest.raises(SyntaxError):
        tokenize("1 $ 2")


def test_positions():
    assert [t.pos for t in tokenize("ab + 7 ")] == [0, 3, 5]
