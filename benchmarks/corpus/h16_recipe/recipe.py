"""Scale recipes and express quantities in the largest sensible kitchen unit."""

# size of each unit in teaspoons, largest first
UNITS = {"cup": 48, "tbsp": 3, "tsp": 1}


def convert(amount, from_unit, to_unit):
    for unit in (from_unit, to_unit):
        if unit not in UNITS:
            raise ValueError(f"unknown unit {unit!r}")
    return amount * UNITS[from_unit] / UNITS[to_unit]


def tidy(amount, unit):
    """The largest unit in which the amount is at least 1 (amount rounded to 1/4)."""
    for candidate in UNITS:
        value = convert(amount, unit, candidate)
        if value >= 1:
            return round(value * 4) / 4, candidate
    return round(amount * 4) / 4, unit


def scale(ingredients, factor):
    """[(name, amount, unit)] scaled by ``factor``, each in its tidiest unit."""
    if factor <= 0:
        raise ValueError("factor must be positive")
    out = []
    for name, amount, unit in ingredients:
        if unit not in UNITS:  # pieces, grams...: just multiply
            out.append((name, amount * factor, unit))
            continue
        teaspoons = convert(amount * factor, "tsp", unit)
        value, best = tidy(teaspoons, "tsp")
        out.append((name, value, best))
    return out


def shopping_line(name, amount, unit):
    text = f"{amount:g}"
    return f"{text} {unit} {name}"
