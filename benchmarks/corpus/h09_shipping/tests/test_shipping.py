import pytest

from shipping import cheapest_split, cost, rate_for


def test_light_parcel():
    assert rate_for(0.3) == 450


def test_between_limits():
    assert rate_for(3.2) == 1400


def test_too_heavy():
    with pytest.raises(ValueError):
        rate_for(31)


def test_zone_and_insurance():
    assert cost(1.5, "europe") == 1530
    assert cost(0.4, insured_value=500) == 950


def test_split():
    assert cheapest_split([0.4, 0.7]) == (1050, 850)


def test_weight_on_a_tier_boundary():
    assert rate_for(1.0) == 600
    assert cost(2.0, "world") == 2210
