"""Free time in a working day, given busy intervals (minutes since midnight)."""


def free_slots(busy, day_start=9 * 60, day_end=17 * 60, minimum=0):
    """The free (start, end) gaps of at least ``minimum`` minutes within the day."""
    slots = []
    cursor = day_start
    for start, end in sorted(busy):
        if start > cursor and start - cursor >= max(minimum, 1):
            slots.append((cursor, min(start, day_end)))
        cursor = end
        if cursor >= day_end:
            break
    if day_end - cursor >= max(minimum, 1):
        slots.append((cursor, day_end))
    return [(s, e) for s, e in slots if e > s]


def hhmm(minutes):
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def describe(busy, **kwargs):
    return [f"{hhmm(s)}-{hhmm(e)}" for s, e in free_slots(busy, **kwargs)]
