"""Parse the five fields of a cron line and test whether a time matches."""

from datetime import datetime

_LIMITS = [("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12),
           ("weekday", 0, 6)]


def parse_field(text, low, high):
    """'*/15', '1-5', '1,3,5', '2-10/4' -> the sorted values within [low, high]."""
    values = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/")
            step = int(step_text)
            if step < 1:
                raise ValueError(f"bad step in {text!r}")
        if part == "*":
            values.update(range(low, high + 1, step))
        elif "-" in part:
            a, b = part.split("-")
            start, end = int(a), int(b)
            if start < low or end > high or start > end:
                raise ValueError(f"{text!r} is outside {low}-{high}")
            values.update(range(start, end, step))
        else:
            value = int(part)
            if not low <= value <= high:
                raise ValueError(f"{text!r} is outside {low}-{high}")
            values.add(value)
    return sorted(values)


class Schedule:
    def __init__(self, line):
        fields = line.split()
        if len(fields) != 5:
            raise ValueError("a cron line has five fields")
        self.fields = {name: set(parse_field(f, lo, hi))
                       for f, (name, lo, hi) in zip(fields, _LIMITS)}

    def matches(self, when):
        weekday = (when.weekday() + 1) % 7  # cron: 0 is Sunday
        return (when.minute in self.fields["minute"] and when.hour in self.fields["hour"]
                and when.day in self.fields["day"] and when.month in self.fields["month"]
                and weekday in self.fields["weekday"])


def at(text):
    return datetime.fromisoformat(text)
