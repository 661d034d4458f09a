import pytest

from duration import format_duration, parse


def test_parse_minutes_seconds():
    assert parse("5m30s") == 330


def test_parse_days():
    assert parse("1d") == 86400


def test_parse_rejects():
    for bad in ["", "5x", "m5", "5m5m"]:
        with pytest.raises(ValueError):
            parse(bad)


def test_format_small():
    assert format_duration(0) == "0s"
    assert format_duration(61) == "1m1s"


def test_parse_hours():
    assert parse("2h") == 7200
    assert parse("1h 30m") == 5400


def test_format_hours():
    assert format_duration(7200) == "2h"


def test_round_trip():
    assert format_duration(parse("3h4m5s")) == "3h4m5s"
