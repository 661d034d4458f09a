import pytest

from semver import Version, compare, latest


def test_parse_and_str():
    v = Version.parse("1.4.2-beta.3+build.7")
    assert (v.major, v.minor, v.patch) == (1, 4, 2)
    assert v.prerelease == ("beta", "3")
    assert str(v) == "1.4.2-beta.3+build.7"


def test_parse_rejects_garbage():
    with pytest.raises(ValueError):
        Version.parse("1.2")


def test_core_ordering():
    assert compare("1.2.3", "1.10.0") == -1
    assert compare("2.0.0", "1.99.99") == 1
    assert compare("1.2.3", "1.2.3+other") == 0


def test_prerelease_ordering():
    assert compare("1.0.0-alpha", "1.0.0-beta") == -1
    assert compare("1.0.0-rc.2", "1.0.0-rc.10") == -1


def test_release_after_prerelease():
    assert compare("1.0.0", "1.0.0-rc.1") == 1


def test_latest_prefers_release():
    assert latest(["1.0.0-rc.1", "1.0.0", "0.9.0"]) == "1.0.0"
