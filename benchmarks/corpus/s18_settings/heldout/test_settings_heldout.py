import pytest

from settings import Config, ConfigError


def test_true_words():
    cfg = Config("[a]\nx = On\ny = 1")
    assert cfg.getboolean("a", "x") is True and cfg.getboolean("a", "y") is True


def test_zero_is_false():
    assert Config("[a]\nx = 0").getboolean("a", "x") is False


def test_not_a_boolean():
    with pytest.raises(ConfigError):
        Config("[a]\nx = maybe").getboolean("a", "x")
