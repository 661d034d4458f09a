"""A thermostat with hysteresis, a schedule of targets, and a log of switch events."""


def c_to_f(celsius):
    return celsius * 9 / 5 + 32


class Thermostat:
    def __init__(self, target=20.0, hysteresis=0.5):
        self.target = target
        self.hysteresis = hysteresis
        self.heating = False
        self.events = []

    def update(self, temperature, minute=0):
        if temperature < self.target - self.hysteresis:
            new_state = True
        elif temperature > self.target - self.hysteresis:
            new_state = False
        else:
            new_state = self.heating
        if new_state != self.heating:
            self.events.append((minute, "on" if new_state else "off"))
            self.heating = new_state
        return self.heating

    def run(self, readings):
        return [self.update(t, minute) for minute, t in enumerate(readings)]


def target_at(schedule, minute):
    current = None
    for start, target in sorted(schedule):
        if start <= minute:
            current = target
    if current is None:
        raise ValueError("no target before this time")
    return current
