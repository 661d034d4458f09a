from config import deep_merge, load


def test_base_not_mutated():
    base = {"a": {"b": 1}}
    deep_merge(base, {"a": {"c": 2}})
    assert base == {"a": {"b": 1}}


def test_env_over_layers():
    cfg = load([{"db": {"host": "a", "port": "1"}}], {"APP_DB__PORT": "9"})
    assert cfg == {"db": {"host": "a", "port": "9"}}
