import pytest

from rle import decode, encode, ratio


def test_encode():
    assert encode("aaabcc") == "3a1b2c"


def test_encode_empty():
    assert encode("") == ""


def test_decode_single_run():
    assert decode("4x") == "xxxx"


def test_decode_runs():
    assert decode("3a2b") == "aaabb"


def test_round_trip():
    assert decode(encode("hello")) == "hello"


def test_malformed():
    with pytest.raises(ValueError):
        decode("12")


def test_ratio():
    assert ratio("aaaa") == 0.5
