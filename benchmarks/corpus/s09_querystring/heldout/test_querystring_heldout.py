from querystring import build_qs, parse_qs


def test_round_trip_with_equals():
    params = {"f": ["x=1", "y==2"]}
    assert parse_qs(build_qs(params)) == params


def test_raw_equals_in_value_and_blank():
    assert parse_qs("a==&b=c=d=", keep_blank=True) == {"a": ["="], "b": ["c=d="]}
