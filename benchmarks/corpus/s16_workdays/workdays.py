"""Working days: count them between dates and add them to a date."""

from datetime import date, timedelta


def is_workday(day, holidays=()):
    return day.weekday() < 5 and day not in holidays


def workdays_between(start, end, holidays=None):
    """Working days from ``start`` to ``end``, both included (0 if end is before start)."""
    holidays = set(holidays)
    count = 0
    day = start
    while day <= end:
        if is_workday(day, holidays):
            count += 1
        day += timedelta(days=1)
    return count


def add_workdays(start, days, holidays=None):
    """The date ``days`` working days after ``start`` (start itself not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    while days:
        day += timedelta(days=1)
        if is_workday(day, holidays or ()):
            days -= 1
    return day


def parse(text):
    return date.fromisoformat(text)
