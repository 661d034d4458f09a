from datetime import date

from workdays import workdays_between


def test_single_weekend_day():
    assert workdays_between(date(2024, 3, 9), date(2024, 3, 9)) == 0


def test_same_day():
    assert workdays_between(date(2024, 3, 4), date(2024, 3, 4)) == 1


def test_holidays_as_tuple():
    assert workdays_between(date(2024, 3, 4), date(2024, 3, 5), (date(2024, 3, 5),)) == 1
