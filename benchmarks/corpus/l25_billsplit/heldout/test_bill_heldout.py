from bill import split_evenly


def test_always_adds_up():
    for total in (1, 99, 1000, 1234, 9999):
        for people in range(1, 8):
            parts = split_evenly(total, people)
            assert sum(parts) == total and max(parts) - min(parts) <= 1
