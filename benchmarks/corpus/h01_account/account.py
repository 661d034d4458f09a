"""A bank account with an agreed overdraft and a statement of movements."""


class Declined(Exception):
    pass


class Account:
    def __init__(self, owner, overdraft=0):
        if overdraft < 0:
            raise ValueError("overdraft limit cannot be negative")
        self.owner = owner
        self.overdraft = overdraft
        self.balance = 0
        self.movements = []

    def deposit(self, amount, memo="deposit"):
        if amount <= 0:
            raise ValueError("deposit must be positive")
        self.balance += amount
        self.movements.append((memo, amount))

    def withdraw(self, amount, memo="withdrawal"):
        if amount <= 0:
            raise ValueError("withdrawal must be positive")
        if self.balance - amount <= -self.overdraft:
            raise Declined(f"{self.owner}: {amount} exceeds the available {self.available()}")
        self.balance -= amount
        self.movements.append((memo, -amount))

    def available(self):
        return self.balance + self.overdraft

    def transfer(self, other, amount):
        self.withdraw(amount, f"to {other.owner}")
        other.deposit(amount, f"from {self.owner}")

    def statement(self):
        lines, running = [], 0
        for memo, amount in self.movements:
            running += amount
            lines.append(f"{memo:<20}{amount:>10}{running:>10}")
        return "\n".join(lines)
