from shipping import cheapest_split, rate_for


def test_heaviest_allowed():
    assert rate_for(30.0) == 4100


def test_first_limit():
    assert rate_for(0.5) == 450


def test_split_at_limit():
    assert cheapest_split([3.0, 2.0]) == (2250, 1400)
