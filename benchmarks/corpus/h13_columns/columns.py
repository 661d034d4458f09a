"""Spreadsheet cell names: column numbers <-> letters ('A'..'Z', 'AA'...), 'B7' <-> (7, 2)."""

import re

_CELL = re.compile(r"^([A-Z]+)([1-9][0-9]*)$")


def column_label(number):
    """1 -> 'A', 26 -> 'Z', 27 -> 'AA' (bijective base 26)."""
    if number < 1:
        raise ValueError("columns start at 1")
    letters = []
    while number:
        number, rest = divmod(number, 26)
        letters.append(chr(ord("A") + rest - 1))
    return "".join(reversed(letters))


def column_number(label):
    if not label or not label.isalpha():
        raise ValueError(f"not a column label: {label!r}")
    number = 0
    for ch in label.upper():
        number = number * 26 + (ord(ch) - ord("A") + 1)
    return number


def parse_cell(name):
    match = _CELL.match(name.strip().upper())
    if match is None:
        raise ValueError(f"not a cell name: {name!r}")
    return int(match.group(2)), column_number(match.group(1))


def cell_name(row, column):
    return f"{column_label(column)}{row}"
