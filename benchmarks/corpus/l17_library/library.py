"""A lending library: members, loans, due dates (day numbers) and late fees."""


def add_days(day, n):
    if not 0 <= day < 365:
        raise ValueError(f"day out of range: {day}")
    if not 0 <= n <= 60:
        raise ValueError(f"bad loan length: {n}")
    return day + n


class Library:
    def __init__(self, loan_days=14, fee_per_day=0.5, max_loans=3):
        self.loan_days = loan_days
        self.fee_per_day = fee_per_day
        self.max_loans = max_loans
        self.loans = {}
        self.catalog = set()

    def add_book(self, isbn):
        self.catalog.add(isbn)

    def loans_of(self, member):
        return sorted(isbn for isbn, (who, _) in self.loans.items() if who == member)

    def checkout(self, member, isbn, today):
        if isbn not in self.catalog:
            raise KeyError(isbn)
        if isbn in self.loans:
            raise ValueError("already on loan")
        if len(self.loans_of(member)) >= self.max_loans:
            raise ValueError("too many loans")
        due = add_days(self.loan_days, today)
        self.loans[isbn] = (member, due)
        return due

    def late_fee(self, isbn, today):
        _, due = self.loans[isbn]
        return max(0, today - due) * self.fee_per_day

    def give_back(self, isbn, today):
        fee = self.late_fee(isbn, today)
        del self.loans[isbn]
        return fee
