import pytest

from phone import InvalidNumber, format_number, normalize, same_number


def test_plain():
    assert normalize("(555) 234-5678") == "5552345678"


def test_styles():
    assert format_number("555.234.5678") == "(555) 234-5678"
    assert format_number("5552345678", "e164") == "+15552345678"


def test_country_code_one_is_dropped():
    assert normalize("+1 (555) 234-5678") == "5552345678"


def test_too_short():
    with pytest.raises(InvalidNumber):
        normalize("234-5678")


def test_bad_area_code():
    with pytest.raises(InvalidNumber):
        normalize("(155) 234-5678")


def test_bad_exchange_code():
    with pytest.raises(InvalidNumber):
        normalize("(555) 123-4567")
