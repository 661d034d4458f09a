from tokenizer import values


def test_number_after_name():
    assert values("x*100") == ["x", "*", 100]


def test_long_expression():
    assert values("(12 + 3) / 45") == ["(", 12, "+", 3, ")", "/", 45]
