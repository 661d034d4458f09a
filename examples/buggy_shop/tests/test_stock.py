from __future__ import annotations

from buggy_shop.stock import remaining


def test_an_order_takes_from_the_stock():
    assert remaining(10, 3) == 7


def test_stock_never_goes_below_zero():
    assert remaining(2, 5) == 0
