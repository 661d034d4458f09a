import pytest

from units import convert, dimension, format_quantity, parse_quantity, to_base


def test_dimension():
    assert dimension("ft") == "length" and dimension("lb") == "mass"


def test_same_unit():
    assert convert(5, "m", "m") == 5


def test_km_to_m():
    assert convert(1, "km", "m") == 1000


def test_to_base_grams():
    assert to_base("500 g") == 0.5


def test_mismatch():
    with pytest.raises(ValueError):
        convert(1, "m", "kg")


def test_parse():
    assert parse_quantity(" 3.5 km ") == (3.5, "km")


def test_format():
    assert format_quantity(2.0, "kg") == "2 kg"
