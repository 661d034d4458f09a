"""Human-readable durations like '1h30m' <-> seconds."""

import re

_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+)([dhms])")


def parse(text):
    text = text.strip().lower().replace(" ", "")
    if not text:
        raise ValueError("empty duration")
    total = 0
    pos = 0
    seen = set()
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        amount, unit = int(match.group(1)), match.group(2)
        if unit in seen:
            raise ValueError(f"unit {unit!r} given twice in {text!r}")
        seen.add(unit)
        total += amount * _UNITS[unit]
        pos = match.end()
    if pos != len(text):
        raise ValueError(f"not a duration: {text!r}")
    return total


def format_duration(seconds):
    if seconds < 0:
        raise ValueError("negative duration")
    if seconds == 0:
        return "0s"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 360)
    minutes, secs = divmod(rest, 60)
    amounts = {"d": days, "h": hours, "m": minutes, "s": secs}
    return "".join(f"{n}{unit}" for unit, n in amounts.items() if n)
