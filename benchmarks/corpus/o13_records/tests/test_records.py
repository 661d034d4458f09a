from records import dedupe, duplicates


def test_no_duplicates():
    rows = [{"id": 1}, {"id": 2}]
    assert dedupe(rows, "id") == rows


def test_keeps_first():
    rows = [{"id": 1, "v": "a"}, {"id": 1, "v": "b"}, {"id": 2, "v": "c"}]
    assert dedupe(rows, "id") == [{"id": 1, "v": "a"}, {"id": 2, "v": "c"}]


def test_duplicates():
    assert duplicates([{"k": 1}, {"k": 1}, {"k": 2}], "k") == [1]
