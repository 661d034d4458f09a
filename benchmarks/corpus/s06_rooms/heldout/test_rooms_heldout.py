from rooms import rooms_needed


def test_chain_of_meetings():
    assert rooms_needed([(0, 30), (30, 60), (60, 90), (90, 120)]) == 1


def test_nested():
    assert rooms_needed([(0, 100), (10, 20), (20, 30), (15, 25)]) == 3


def test_unsorted_input():
    assert rooms_needed([(60, 120), (0, 60), (30, 90)]) == 2
