"""A sensor reading smoother: moving average over a window, with spike rejection."""


class Smoother:
    def __init__(self, size=3, max_jump=10.0):
        self.size = size
        self.max_jump = max_jump
        self.window = []
        self.rejected = 0

    def add(self, value):
        if self.window and abs(value - self.window[-1]) > self.max_jump:
            self.rejected += 1
            return self.average()
        self.window.append(value)
        if len(self.window) > self.size:
            self.window.pop(0)
        return self.average()

    def average(self):
        if not self.window:
            return None
        total = sum(self.window)
        return total / self.size
