import pytest

from settings import Config, ConfigError

TEXT = """
# service settings
[Server]
host = example.org
port = 8080
debug = no

[cache]
enabled = Yes
"""


def test_sections():
    assert Config(TEXT).sections() == ["cache", "server"]


def test_get_case_insensitive():
    assert Config(TEXT).get("SERVER", "Host") == "example.org"


def test_getint_and_fallback():
    cfg = Config(TEXT)
    assert cfg.getint("server", "port") == 8080
    assert cfg.getint("server", "workers", 4) == 4


def test_errors():
    with pytest.raises(ConfigError):
        Config("key = value")
    with pytest.raises(ConfigError):
        Config("[a]\njust words")


def test_getboolean_missing():
    assert Config(TEXT).getboolean("cache", "compress", False) is False


def test_getboolean_false_words():
    assert Config(TEXT).getboolean("server", "debug") is False
