from brackets import balanced


def test_empty():
    assert balanced("")


def test_only_open():
    assert not balanced("{")
