import pytest

from recipe import convert, scale, shopping_line, tidy


def test_convert():
    assert convert(1, "cup", "tbsp") == 16
    assert convert(6, "tsp", "tbsp") == 2


def test_unknown_unit():
    with pytest.raises(ValueError):
        convert(1, "pinch", "tsp")


def test_tidy():
    assert tidy(9, "tsp") == (3.0, "tbsp")
    assert tidy(0.5, "tsp") == (0.5, "tsp")


def test_pieces_just_multiply():
    assert scale([("egg", 2, "piece")], 1.5) == [("egg", 3.0, "piece")]


def test_teaspoons_stay():
    assert scale([("salt", 1, "tsp")], 2) == [("salt", 2.0, "tsp")]


def test_shopping_line():
    assert shopping_line("flour", 2.5, "cup") == "2.5 cup flour"


def test_scale_converts_to_the_larger_unit():
    assert scale([("salt", 2, "tsp")], 3) == [("salt", 2.0, "tbsp")]
    assert scale([("milk", 1, "cup")], 0.5) == [("milk", 8.0, "tbsp")]
