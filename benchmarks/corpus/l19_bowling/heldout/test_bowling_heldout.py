from bowling import score


def test_all_spares():
    assert score([5] * 21) == 150


def test_strike_then_spare():
    assert score([10, 5, 5, 2] + [0] * 15) == 34
