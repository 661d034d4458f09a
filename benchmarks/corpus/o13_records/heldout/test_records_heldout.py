from records import dedupe


def test_three_copies():
    rows = [{"id": 7}] * 3
    assert dedupe(rows, "id") == [{"id": 7}]
