import pytest

from orders import InvalidTransition, Order


def test_ship_cancelled():
    o = Order(1, 5)
    o.cancel()
    with pytest.raises(InvalidTransition):
        o.ship()
