from freeslots import describe, free_slots


def test_empty_day():
    assert free_slots([]) == [(540, 1020)]


def test_two_meetings():
    assert describe([(600, 660), (780, 840)]) == ["09:00-10:00", "11:00-13:00", "14:00-17:00"]


def test_minimum_length():
    assert describe([(555, 600)], minimum=20) == ["10:00-17:00"]


def test_busy_all_day():
    assert free_slots([(480, 1080)]) == []


def test_nested_meeting():
    assert describe([(600, 720), (630, 660)]) == ["09:00-10:00", "12:00-17:00"]
