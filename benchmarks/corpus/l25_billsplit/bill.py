"""Splitting a restaurant bill: tips, even splits in cents, weighted shares."""


def to_cents(amount):
    return int(round(amount * 100))


def with_tip(total_cents, percent):
    return total_cents + (total_cents * percent + 50) // 100


def split_evenly(total_cents, people):
    if people < 1:
        raise ValueError("at least one person")
    base = round(total_cents / people)
    remainder = total_cents - base * people
    return [base + (1 if i < remainder else 0) for i in range(people)]


def split_weighted(total_cents, weights):
    whole = sum(weights)
    shares = [total_cents * w // whole for w in weights]
    leftover = total_cents - sum(shares)
    for i in range(leftover):
        shares[i % len(shares)] += 1
    return shares


def format_cents(cents):
    return f"{cents // 100}.{cents % 100:02d}"
