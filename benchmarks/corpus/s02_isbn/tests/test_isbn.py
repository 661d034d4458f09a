import pytest

from isbn import is_valid, normalize, to_isbn13


def test_normalize():
    assert normalize("0-306-40615-2") == "0306406152"


def test_valid_isbn10():
    assert is_valid("0-306-40615-2")
    assert is_valid("0-8044-2957-X")


def test_invalid_isbn10():
    assert not is_valid("0-306-40615-3")
    assert not is_valid("12345")


def test_valid_isbn13():
    assert is_valid("978-1-86197-271-2")


def test_convert_isbn10():
    assert to_isbn13("1-86197-271-7") == "9781861972712"


def test_convert_rejects_invalid():
    with pytest.raises(ValueError):
        to_isbn13("0-306-40615-3")
