"""An order life cycle as a small state machine with an audit log."""


class InvalidTransition(Exception):
    pass


class Order:
    def __init__(self, order_id, amount):
        self.order_id = order_id
        self.amount = amount
        self.state = "new"
        self.log = ["new"]

    def _move(self, state):
        self.state = state
        self.log.append(state)

    def pay(self, amount):
        if self.state != "new":
            raise InvalidTransition(f"cannot pay an order that is {self.state}")
        if amount != self.amount:
            raise ValueError("wrong amount")
        self._move("paid")

    def ship(self):
        self._move("shipped")

    def cancel(self):
        if self.state in ("shipped", "cancelled"):
            raise InvalidTransition(f"cannot cancel an order that is {self.state}")
        refund = self.amount if self.state == "paid" else 0
        self._move("cancelled")
        return refund


def summary(orders):
    counts = {}
    for order in orders:
        counts[order.state] = counts.get(order.state, 0) + 1
    return counts
