import pytest

from cron import Schedule, at, parse_field


def test_star():
    assert parse_field("*", 0, 6) == [0, 1, 2, 3, 4, 5, 6]


def test_list():
    assert parse_field("5,1,3", 0, 59) == [1, 3, 5]


def test_step():
    assert parse_field("*/15", 0, 59) == [0, 15, 30, 45]


def test_out_of_range():
    with pytest.raises(ValueError):
        parse_field("60", 0, 59)


def test_range_includes_end():
    assert parse_field("1-5", 0, 6) == [1, 2, 3, 4, 5]


def test_weekdays_schedule():
    job = Schedule("30 9 * * 1-5")
    assert job.matches(at("2024-03-08 09:30"))  # a Friday
    assert not job.matches(at("2024-03-09 09:30"))
