import pytest

from tax import income_tax, marginal_rate, net_pay


def test_below_threshold():
    assert income_tax(8_000) == 0.0


def test_first_bracket():
    assert income_tax(25_000) == 1_500.0


def test_negative_income():
    with pytest.raises(ValueError):
        income_tax(-1)


def test_marginal_rate():
    assert marginal_rate(50_000) == 0.20
    assert marginal_rate(10_000) == 0.0


def test_two_brackets():
    assert income_tax(50_000) == 5_000.0


def test_net_pay():
    assert net_pay(60_000) == 53_000.0
