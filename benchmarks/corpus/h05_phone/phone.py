"""Normalise and format North American phone numbers."""


class InvalidNumber(ValueError):
    pass


def normalize(text):
    """The 10 digits of a number like '(555) 123-4567' or '+1 555.123.4567'."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    if len(digits) != 10:
        raise InvalidNumber(f"{text!r}: expected 10 digits, got {len(digits)}")
    if digits[0] in "01":
        raise InvalidNumber(f"{text!r}: area and exchange codes cannot start with 0 or 1")
    return digits


def format_number(text, style="national"):
    d = normalize(text)
    if style == "national":
        return f"({d[:3]}) {d[3:6]}-{d[6:]}"
    if style == "international":
        return f"+1 {d[:3]} {d[3:6]} {d[6:]}"
    if style == "e164":
        return "+1" + d
    raise ValueError(f"unknown style {style!r}")


def same_number(a, b):
    try:
        return normalize(a) == normalize(b)
    except InvalidNumber:
        return False
