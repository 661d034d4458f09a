import pytest

from roman import from_roman, is_canonical, to_roman


def test_to_roman_simple():
    assert to_roman(3) == "III"


def test_to_roman_subtractive():
    assert to_roman(1994) == "MCMXCIV"


def test_to_roman_range():
    with pytest.raises(ValueError):
        to_roman(0)


def test_from_roman_additive():
    assert from_roman("xviii") == 18


def test_from_roman_subtractive():
    assert from_roman("IV") == 4


def test_from_roman_bad_digit():
    with pytest.raises(ValueError):
        from_roman("IIZ")


def test_canonical():
    assert is_canonical("XIV")
