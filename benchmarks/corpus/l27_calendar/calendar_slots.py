"""Meeting slots in minutes since midnight: overlap checks, booking, free time."""


def overlaps(a_start, a_end, b_start, b_end):
    return a_start < b_start and b_end < a_end


class Calendar:
    def __init__(self, day_start=9 * 60, day_end=17 * 60):
        self.day_start = day_start
        self.day_end = day_end
        self.meetings = []

    def book(self, start, end, title):
        if not self.day_start <= start < end <= self.day_end:
            raise ValueError("outside working hours")
        for m_start, m_end, m_title in self.meetings:
            if overlaps(start, end, m_start, m_end):
                raise ValueError(f"clashes with {m_title}")
        self.meetings.append((start, end, title))
        self.meetings.sort()

    def free_slots(self, minimum=15):
        slots = []
        cursor = self.day_start
        for start, end, _ in self.meetings:
            if start - cursor >= minimum:
                slots.append((cursor, start))
            cursor = max(cursor, end)
        if self.day_end - cursor >= minimum:
            slots.append((cursor, self.day_end))
        return slots


def hhmm(minutes):
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
