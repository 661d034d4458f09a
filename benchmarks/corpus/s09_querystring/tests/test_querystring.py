from querystring import build_qs, first, parse_qs


def test_repeated_keys():
    assert parse_qs("a=1&b=2&a=3") == {"a": ["1", "3"], "b": ["2"]}


def test_decoding():
    assert parse_qs("?q=hello+world&x=%2Fpath") == {"q": ["hello world"], "x": ["/path"]}


def test_blank_values():
    assert parse_qs("a=&b") == {}
    assert parse_qs("a=&b", keep_blank=True) == {"a": [""], "b": [""]}


def test_build():
    assert build_qs({"b": "x y", "a": ["1", "2"]}) == "a=1&a=2&b=x%20y"


def test_value_with_equals_sign():
    assert parse_qs("expr=a=b") == {"expr": ["a=b"]}


def test_base64_token():
    assert first("token=YWJj==&page=2", "token") == "YWJj=="
