import pytest

from fraction import Fraction, mean


def test_normalises():
    f = Fraction(6, -8)
    assert (f.num, f.den) == (-3, 4)


def test_zero_denominator():
    with pytest.raises(ZeroDivisionError):
        Fraction(1, 0)


def test_add_and_sub():
    assert Fraction(1, 2) + Fraction(1, 3) == Fraction(5, 6)
    assert Fraction(1, 2) - Fraction(1, 3) == Fraction(1, 6)


def test_mul_and_str():
    assert str(Fraction(2, 3) * Fraction(3, 4)) == "1/2"
    assert str(Fraction.parse("4/2")) == "2"


def test_ordering():
    assert sorted([Fraction(1, 2), Fraction(1, 3)]) == [Fraction(1, 3), Fraction(1, 2)]


def test_divide():
    assert Fraction(1, 2) / Fraction(3, 4) == Fraction(2, 3)


def test_mean_rate():
    assert mean([Fraction(1, 2), Fraction(1, 4), Fraction(3, 4)]) == Fraction(1, 2)
