from tax import effective_rate, income_tax


def test_top_bracket():
    assert income_tax(150_000) == 35_000.0


def test_exactly_on_bound():
    assert income_tax(40_000) == 3_000.0


def test_custom_brackets():
    brackets = [(0, 0.1), (100, 0.5)]
    assert income_tax(300, brackets) == 110.0
    assert effective_rate(300, brackets) == 110.0 / 300
