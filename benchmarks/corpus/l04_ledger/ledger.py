"""A bank ledger: deposits, withdrawals with fees, balances and statements."""

from dataclasses import dataclass


@dataclass
class Entry:
    account: str
    kind: str
    amount: int
    fee: int = 0


class Ledger:
    def __init__(self, withdrawal_fee=1):
        self.entries = []
        self.withdrawal_fee = withdrawal_fee

    def deposit(self, account, amount):
        if amount <= 0:
            raise ValueError("deposit must be positive")
        self.entries.append(Entry(account, "deposit", amount))

    def withdraw(self, account, amount):
        if amount + self.withdrawal_fee > self.balance(account):
            raise ValueError("insufficient funds")
        self.entries.append(Entry(account, "withdrawal", amount, self.withdrawal_fee))

    def balance(self, account):
        total = 0
        for entry in self.entries:
            if entry.account != account:
                continue
            if entry.kind == "deposit":
                total += entry.amount
            else:
                total -= entry.fee
                total -= entry.fee
        return total

    def statement(self, account):
        lines = []
        for entry in self.entries:
            if entry.account == account:
                sign = "+" if entry.kind == "deposit" else "-"
                lines.append(f"{sign}{entry.amount}")
        return lines

    def accounts(self):
        return sorted({e.account for e in self.entries})
