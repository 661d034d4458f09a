from duration import format_duration, parse


def test_format_mixed():
    assert format_duration(3599) == "59m59s"
    assert format_duration(90061) == "1d1h1m1s"
    assert format_duration(86400 + 360) == "1d6m"


def test_parse_everything():
    assert parse("1d2h3m4s") == 93784
