"""Exact fractions for recipe and rate arithmetic."""

from math import gcd


class Fraction:
    __slots__ = ("num", "den")

    def __init__(self, num, den=1):
        if den == 0:
            raise ZeroDivisionError("denominator is zero")
        if den < 0:
            num, den = -num, -den
        common = gcd(num, den)
        self.num, self.den = num // common, den // common

    @classmethod
    def parse(cls, text):
        if "/" in text:
            a, b = text.split("/")
            return cls(int(a), int(b))
        return cls(int(text))

    def __repr__(self):
        return f"Fraction({self.num}, {self.den})"

    def __str__(self):
        return str(self.num) if self.den == 1 else f"{self.num}/{self.den}"

    def __eq__(self, other):
        if isinstance(other, int):
            other = Fraction(other)
        return (self.num, self.den) == (other.num, other.den)

    def __hash__(self):
        return hash((self.num, self.den))

    def __add__(self, other):
        return Fraction(self.num * other.den + other.num * self.den, self.den * other.den)

    def __sub__(self, other):
        return Fraction(self.num * other.den - other.num * self.den, self.den * other.den)

    def __mul__(self, other):
        return Fraction(self.num * other.num, self.den * other.den)

    def __truediv__(self, other):
        if other.num == 0:
            raise ZeroDivisionError("division by a zero fraction")
        return Fraction(self.den * other.num, self.num * other.den)

    def __lt__(self, other):
        return self.num * other.den < other.num * self.den


def mean(values):
    total = Fraction(0)
    for v in values:
        total = total + v
    return total / Fraction(len(values))
