"""A shopping cart with line items, coupons, a bulk discount, tax and shipping."""

TAX_RATE = 0.2
FREE_SHIPPING_FROM = 50
SHIPPING = 5


class Cart:
    def __init__(self):
        self.items = {}
        self.coupon = 0

    def add(self, name, price, qty=1):
        if qty < 1 or price < 0:
            raise ValueError("bad item")
        old_price, old_qty = self.items.get(name, (price, 0))
        self.items[name] = (price, old_qty + qty)

    def remove(self, name):
        self.items.pop(name, None)

    def subtotal(self):
        return sum(price * qty for price, qty in self.items.values())

    def apply_coupon(self, amount):
        self.coupon = max(0, amount)

    def discount(self, subtotal):
        if subtotal >= 1000:
            return round(subtotal * 0.1, 2)
        return 0

    def shipping(self, amount):
        return 0 if amount >= FREE_SHIPPING_FROM or amount == 0 else SHIPPING

    def total(self):
        sub = self.subtotal()
        amount = max(0, sub - self.discount(sub) - self.coupon)
        taxed = round(amount * (1 + TAX_RATE), 2)
        return taxed + self.shipping(amount)
