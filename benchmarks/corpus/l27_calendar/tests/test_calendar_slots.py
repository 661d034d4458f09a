import pytest

from calendar_slots import Calendar, hhmm, overlaps


def test_overlap_inside():
    assert overlaps(600, 660, 610, 620)


def test_no_overlap_adjacent():
    assert not overlaps(600, 660, 660, 700)


def test_overlap_partial():
    assert overlaps(600, 660, 630, 700)


def test_book_clash_starting_before():
    cal = Calendar()
    cal.book(600, 660, "standup")
    with pytest.raises(ValueError):
        cal.book(570, 610, "coffee")


def test_outside_hours():
    with pytest.raises(ValueError):
        Calendar().book(400, 500, "early")


def test_free_slots():
    cal = Calendar()
    cal.book(540, 600, "a")
    assert cal.free_slots() == [(600, 1020)]


def test_hhmm():
    assert hhmm(545) == "09:05"
