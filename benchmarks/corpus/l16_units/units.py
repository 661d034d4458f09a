"""Length and mass unit conversion with parsing of quantities like "3.5 km"."""

LENGTH = {"mm": 0.001, "cm": 0.01, "m": 1.0, "km": 1000.0, "in": 0.0254, "ft": 0.3048}
MASS = {"g": 0.001, "kg": 1.0, "t": 1000.0, "lb": 0.45359237}


def dimension(unit):
    if unit in LENGTH:
        return "length"
    if unit in MASS:
        return "mass"
    raise KeyError(f"unknown unit {unit!r}")


def factor(unit):
    return LENGTH[unit] if dimension(unit) == "length" else MASS[unit]


def convert(value, unit_from, unit_to):
    if dimension(unit_from) != dimension(unit_to):
        raise ValueError(f"cannot convert {unit_from} to {unit_to}")
    factor_from = factor(unit_from)
    factor_to = factor(unit_to)
    return value * factor_to / factor_from


def parse_quantity(text):
    number, _, unit = text.strip().partition(" ")
    if not unit:
        raise ValueError(f"no unit in {text!r}")
    return float(number), unit.strip()


def to_base(text):
    value, unit = parse_quantity(text)
    base = "m" if dimension(unit) == "length" else "kg"
    return convert(value, unit, base)


def format_quantity(value, unit, digits=2):
    return f"{round(value, digits):g} {unit}"
