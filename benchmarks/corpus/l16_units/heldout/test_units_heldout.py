from units import convert


def test_feet_to_inches():
    assert round(convert(1, "ft", "in"), 6) == 12


def test_tonnes_to_kg():
    assert convert(2, "t", "kg") == 2000
