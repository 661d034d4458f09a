"""A small warehouse inventory: stock levels, reservations and reorder hints."""


class OutOfStock(Exception):
    pass


class Inventory:
    def __init__(self):
        self._stock = {}
        self._reorder_level = {}

    def add(self, sku, quantity):
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        self._stock[sku] = self._stock.get(sku, 0) + quantity

    def remove(self, sku, quantity):
        current = self._stock.get(sku, 0)
        if current <= quantity:
            raise OutOfStock(f"{sku}: have {current}, need {quantity}")
        self._stock[sku] = current - quantity
        return self._stock[sku]

    def count(self, sku):
        return self._stock.get(sku, 0)

    def set_reorder_level(self, sku, level):
        self._reorder_level[sku] = level

    def needs_reorder(self):
        return sorted(
            sku for sku, level in self._reorder_level.items()
            if self._stock.get(sku, 0) <= level
        )

    def total_units(self):
        return sum(self._stock.values())

    def transfer(self, other, sku, quantity):
        self.remove(sku, quantity)
        other.add(sku, quantity)
