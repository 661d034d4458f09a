from dateutil_lite import add_days, day_of_year


def test_end_of_year_common():
    assert day_of_year(2021, 12, 31) == 365


def test_add_days_year_wrap():
    assert add_days(2024, 12, 30, 3) == (2025, 1, 2)
