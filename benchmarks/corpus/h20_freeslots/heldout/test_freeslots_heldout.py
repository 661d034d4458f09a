from freeslots import free_slots


def test_overlapping_chain():
    assert free_slots([(540, 600), (590, 700), (650, 690)]) == [(700, 1020)]


def test_unsorted_with_inner_meeting():
    assert free_slots([(700, 720), (600, 900)], day_start=540, day_end=960) == [
        (540, 600), (900, 960)]
