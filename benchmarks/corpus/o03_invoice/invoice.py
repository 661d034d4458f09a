"""Invoices: line items, a percentage discount, then VAT on the discounted amount."""

VAT_RATE = 0.2


def subtotal(items):
    return sum(qty * price for qty, price in items)


def invoice_total(items, discount_percent=0):
    amount = subtotal(items)
    vat = amount * VAT_RATE
    amount = amount * (100 - discount_percent) / 100
    return round(amount + vat, 2)


def describe(items, discount_percent=0):
    total = invoice_total(items, discount_percent)
    return f"{len(items)} item(s), total {total:.2f}"
