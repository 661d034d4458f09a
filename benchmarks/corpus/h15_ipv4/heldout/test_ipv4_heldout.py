import pytest

from ipv4 import allowed, contains, parse


def test_all_zero_and_deny():
    assert parse("0.0.0.0") == 0
    assert contains("0.0.0.0/0", "8.8.8.8")
    assert not allowed("10.0.0.5", allow=["10.0.0.0/8"], deny=["10.0.0.0/29"])


def test_leading_zero_still_rejected():
    with pytest.raises(ValueError):
        parse("10.00.0.1")
