from brackets import balanced, first_unclosed


def test_simple():
    assert balanced("(a[b]{c})")


def test_wrong_order():
    assert not balanced("(]")


def test_unclosed():
    assert not balanced("((a)")


def test_first_unclosed():
    assert first_unclosed("a(b(c)") == 1
