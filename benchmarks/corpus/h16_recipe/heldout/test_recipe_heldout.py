from recipe import scale


def test_tablespoons_to_cups():
    assert scale([("oil", 4, "tbsp")], 4) == [("oil", 1.0, "cup")]


def test_cup_down_to_tablespoons():
    assert scale([("sugar", 0.25, "cup")], 0.5) == [("sugar", 2.0, "tbsp")]
