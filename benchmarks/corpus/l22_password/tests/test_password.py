from password import check, is_valid, strength


def test_good_password():
    assert is_valid("Tr0ub4dor&3")


def test_too_short():
    assert check("Ab1") == ["shorter than 8"]


def test_common():
    assert "too common" in check("password")


def test_digit_required():
    assert check("NoDigitsHere") == ["no digit"]


def test_no_digit_invalid():
    assert not is_valid("Abcdefghij")


def test_strength_bounds():
    assert strength("") == 0 and strength("Aa1!" * 10) == 40
