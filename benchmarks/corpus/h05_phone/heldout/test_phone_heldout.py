import pytest

from phone import InvalidNumber, normalize, same_number


def test_exchange_code_zero():
    with pytest.raises(InvalidNumber):
        normalize("+1 555 012 3456")


def test_leading_one_without_plus():
    assert normalize("1-555-234-5678") == "5552345678"


def test_invalid_numbers_are_never_the_same():
    assert not same_number("555 123 4567", "5551234567")
    assert same_number("+1 555 234 5678", "(555) 234-5678")
