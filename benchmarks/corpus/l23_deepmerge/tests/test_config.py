from config import deep_merge, load, lookup, parse_env


def test_override_scalar():
    assert deep_merge({"a": 1}, {"a": 2}) == {"a": 2}


def test_keeps_base_keys():
    assert deep_merge({"a": 1, "b": 2}, {"b": 3}) == {"a": 1, "b": 3}


def test_lookup():
    assert lookup({"db": {"port": 5432}}, "db.port") == 5432


def test_lookup_default():
    assert lookup({"db": 1}, "db.port", "x") == "x"


def test_parse_env():
    env = {"APP_DB__HOST": "h", "OTHER": "1"}
    assert parse_env(env) == {"db": {"host": "h"}}


def test_load_layers():
    cfg = load([{"db": {"host": "a", "port": 1}}, {"db": {"port": 2}}])
    assert cfg == {"db": {"host": "a", "port": 2}}
