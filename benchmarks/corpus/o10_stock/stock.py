"""Stock levels after a day of orders."""


def remaining(stock, orders):
    """Units left per item; an order beyond the stock empties it."""
    left = dict(stock)
    for item, qty in orders:
        current = left.get(item, 0)
        left[item] = current - qty
    return left


def sold_out(stock, orders):
    return sorted(item for item, n in remaining(stock, orders).items() if n == 0)
