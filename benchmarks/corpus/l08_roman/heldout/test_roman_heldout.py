from roman import from_roman, to_roman


def test_round_trip():
    for n in (1, 4, 9, 14, 40, 90, 400, 1990, 2024, 3999):
        assert from_roman(to_roman(n)) == n
