import pytest

from loan import monthly_payment, schedule, total_interest


def test_interest_free():
    assert monthly_payment(1200, 0, 12) == 100.0


def test_bad_input():
    with pytest.raises(ValueError):
        monthly_payment(0, 0.05, 12)


def test_schedule_length():
    assert len(schedule(1200, 0, 12)) == 12


def test_payment_in_cents():
    assert monthly_payment(10_000, 0.06, 24) == 443.21


def test_schedule_pays_off():
    rows = schedule(10_000, 0.06, 24)
    assert rows[-1][3] == 0
    assert rows[0] == (1, 50.0, 393.21, 9606.79)
