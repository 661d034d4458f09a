from loan import monthly_payment, total_interest


def test_mortgage_payment():
    assert monthly_payment(200_000, 0.045, 360) == 1013.37


def test_total_interest():
    assert total_interest(10_000, 0.06, 24) == 636.94
    assert total_interest(1200, 0.12, 12) == 79.42
