from semver import compare, latest


def test_prerelease_before_release():
    assert compare("2.1.0-alpha.1", "2.1.0") == -1


def test_longer_prerelease_is_newer():
    assert compare("1.0.0-alpha", "1.0.0-alpha.1") == -1


def test_numeric_before_alphanumeric():
    assert compare("1.0.0-1", "1.0.0-alpha") == -1


def test_latest_order_independent():
    assert latest(["1.0.0", "1.0.0-rc.1"]) == "1.0.0"
    assert latest([]) is None
