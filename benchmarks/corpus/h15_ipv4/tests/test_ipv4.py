import pytest

from ipv4 import allowed, contains, format_address, parse


def test_parse_and_format():
    assert format_address(parse("192.168.1.10")) == "192.168.1.10"


def test_rejects():
    for bad in ["1.2.3", "1.2.3.256", "1.2.3.x", "01.2.3.4", "1.2.3.4.5"]:
        with pytest.raises(ValueError):
            parse(bad)


def test_contains():
    assert contains("192.168.1.128/25", "192.168.1.200")
    assert not contains("192.168.1.128/25", "192.168.1.100")


def test_allowed():
    assert allowed("172.16.5.4", allow=["172.16.5.4/32"])


def test_zero_octet():
    assert parse("10.0.0.1") == 0x0A000001
