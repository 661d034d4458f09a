"""Fixed-rate loan repayments (annuity) and their schedule."""


def monthly_payment(principal, annual_rate, months):
    if principal <= 0 or months <= 0:
        raise ValueError("principal and months must be positive")
    if annual_rate == 0:
        return round(principal / months, 2)
    rate = annual_rate / 12
    payment = principal * rate / (1 - (1 + rate) ** -months)
    return round(payment, 1)


def schedule(principal, annual_rate, months):
    """Rows (month, interest, repaid, balance); the last payment clears the balance."""
    payment = monthly_payment(principal, annual_rate, months)
    rate = annual_rate / 12
    balance = principal
    rows = []
    for month in range(1, months + 1):
        interest = round(balance * rate, 2)
        repaid = round(payment - interest, 2)
        if month == months or repaid > balance:
            repaid = balance
        balance = round(balance - repaid, 2)
        rows.append((month, interest, repaid, balance))
        if balance == 0:
            break
    return rows


def total_interest(principal, annual_rate, months):
    return round(sum(row[1] for row in schedule(principal, annual_rate, months)), 2)
