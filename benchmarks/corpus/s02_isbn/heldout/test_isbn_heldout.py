from isbn import is_valid, to_isbn13


def test_more_isbn13():
    assert is_valid("9780131103627")
    assert not is_valid("9780131103629")
    assert is_valid("978-0-306-40615-7")


def test_convert_with_x():
    assert to_isbn13("080442957X") == "9780804429573"


def test_isbn13_passthrough():
    assert to_isbn13("978-0-596-52068-7") == "9780596520687"
