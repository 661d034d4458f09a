import pytest

from fraction import Fraction, mean


def test_divide_by_whole():
    assert Fraction(3) / Fraction(6) == Fraction(1, 2)


def test_divide_negative():
    assert Fraction(-1, 3) / Fraction(2, 5) == Fraction(-5, 6)


def test_divide_by_zero():
    with pytest.raises(ZeroDivisionError):
        Fraction(1, 2) / Fraction(0)


def test_mean_whole():
    assert mean([Fraction(2), Fraction(3)]) == Fraction(5, 2)
