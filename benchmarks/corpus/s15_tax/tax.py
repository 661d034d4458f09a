"""Progressive income tax from a table of brackets."""

BRACKETS = [  # (lower bound, rate) in ascending order; the last bracket is open-ended
    (0, 0.0),
    (10_000, 0.10),
    (40_000, 0.20),
    (100_000, 0.40),
]


def income_tax(income, brackets=BRACKETS):
    if income < 0:
        raise ValueError("income cannot be negative")
    tax = 0.0
    for index, (lower, rate) in enumerate(brackets):
        if income <= lower:
            break
        upper = brackets[index + 1][0] if index + 1 < len(brackets) else None
        top = income if upper is None else min(income, upper)
        tax += (income - lower) * rate
    return round(tax, 2)


def marginal_rate(income, brackets=BRACKETS):
    rate = brackets[0][1]
    for lower, r in brackets:
        if income > lower:
            rate = r
    return rate


def net_pay(income, brackets=BRACKETS):
    return round(income - income_tax(income, brackets), 2)


def effective_rate(income, brackets=BRACKETS):
    return 0.0 if income == 0 else income_tax(income, brackets) / income
