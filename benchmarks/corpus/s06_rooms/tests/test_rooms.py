import pytest

from rooms import clashes, parse_booking, plan, rooms_needed


def test_parse_booking():
    assert parse_booking("09:30 - 10:15") == (570, 615)


def test_parse_rejects_backwards():
    with pytest.raises(ValueError):
        parse_booking("10:00-09:00")


def test_no_bookings():
    assert rooms_needed([]) == 0


def test_overlapping_need_two():
    assert rooms_needed([(0, 60), (30, 90)]) == 2


def test_back_to_back_share_a_room():
    assert rooms_needed([(0, 60), (60, 120)]) == 1


def test_clashes():
    assert clashes([(0, 60), (60, 120), (30, 70)]) == [(0, 2), (1, 2)]


def test_day_plan():
    day = ["09:00-10:00", "10:00-11:00", "11:00-12:00", "09:30-10:30"]
    assert plan(day)["rooms"] == 2
