from calendar_slots import overlaps


def test_symmetric():
    assert overlaps(10, 20, 5, 15) and overlaps(5, 15, 10, 20)
    assert not overlaps(10, 20, 20, 30)
