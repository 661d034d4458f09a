import pytest

from dateutil_lite import add_days, day_of_year, days_in_month, format_date, is_leap


def test_leap_years():
    assert [is_leap(y) for y in (1900, 2000, 2023, 2024)] == [False, True, False, True]


def test_days_in_january():
    assert days_in_month(2023, 1) == 31


def test_february_common_year():
    assert days_in_month(2023, 2) == 28


def test_february_leap_year():
    assert days_in_month(2024, 2) == 29


def test_bad_month():
    with pytest.raises(ValueError):
        days_in_month(2023, 13)


def test_day_of_year_march_common():
    assert day_of_year(2023, 3, 1) == 60


def test_add_days_over_february():
    assert add_days(2023, 2, 27, 3) == (2023, 3, 2)


def test_format():
    assert format_date(7, 3, 9) == "0007-03-09"
