"""How many meeting rooms a day's bookings need, and which bookings clash."""


def _minutes(hhmm):
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def parse_booking(text):
    """'09:30-10:15' -> (570, 615)."""
    start, end = (part.strip() for part in text.split("-"))
    begin, finish = _minutes(start), _minutes(end)
    if finish <= begin:
        raise ValueError(f"booking ends before it starts: {text!r}")
    return begin, finish


def rooms_needed(bookings):
    starts = sorted(b[0] for b in bookings)
    ends = sorted(b[1] for b in bookings)
    in_use = most = 0
    i = j = 0
    while i < len(starts):
        if starts[i] <= ends[j]:
            in_use += 1
            most = max(most, in_use)
            i += 1
        else:
            in_use -= 1
            j += 1
    return most


def clashes(bookings):
    """Pairs of booking indexes that overlap in time."""
    found = []
    for a in range(len(bookings)):
        for b in range(a + 1, len(bookings)):
            (s1, e1), (s2, e2) = bookings[a], bookings[b]
            if s1 < e2 and s2 < e1:
                found.append((a, b))
    return found


def plan(day):
    bookings = [parse_booking(t) for t in day]
    return {"rooms": rooms_needed(bookings), "clashes": clashes(bookings)}
