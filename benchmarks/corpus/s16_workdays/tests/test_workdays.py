from datetime import date

import pytest

from workdays import add_workdays, is_workday, parse, workdays_between

MON = date(2024, 3, 4)


def test_is_workday():
    assert is_workday(MON) and not is_workday(date(2024, 3, 9))


def test_week_with_holiday():
    assert workdays_between(MON, date(2024, 3, 10), [date(2024, 3, 6)]) == 4


def test_end_before_start():
    assert workdays_between(MON, date(2024, 3, 1), []) == 0


def test_add_over_weekend():
    assert add_workdays(date(2024, 3, 8), 1) == date(2024, 3, 11)


def test_add_negative():
    with pytest.raises(ValueError):
        add_workdays(MON, -1)


def test_no_holidays_given():
    assert workdays_between(MON, date(2024, 3, 15)) == 10


def test_deadline_without_holidays():
    assert workdays_between(parse("2024-03-01"), parse("2024-03-04")) == 2
