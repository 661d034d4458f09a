"""Roman numerals: conversion both ways and validation."""

VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
PAIRS = [
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
]


def to_roman(n):
    if not 0 < n < 4000:
        raise ValueError(f"out of range: {n}")
    parts = []
    for value, symbol in PAIRS:
        while n >= value:
            parts.append(symbol)
            n -= value
    return "".join(parts)


def from_roman(text):
    text = text.upper()
    for ch in text:
        if ch not in VALUES:
            raise ValueError(f"not a roman digit: {ch}")
    total = 0
    for i, ch in enumerate(text):
        value = VALUES[ch]
        if i + 1 < len(text) and VALUES[text[i + 1]] > value:
            total += value
        else:
            total += value
    return total


def is_canonical(text):
    try:
        return to_roman(from_roman(text)) == text.upper()
    except ValueError:
        return False
