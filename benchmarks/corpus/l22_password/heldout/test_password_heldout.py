from password import check


def test_all_problems():
    assert check(" abc") == ["shorter than 8", "no upper-case letter", "no digit",
                             "leading or trailing space"]
