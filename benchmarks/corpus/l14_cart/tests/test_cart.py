import pytest

from cart import Cart


def test_small_order_pays_shipping():
    c = Cart()
    c.add("pen", 10)
    assert c.total() == 17.0


def test_free_shipping():
    c = Cart()
    c.add("book", 25, qty=2)
    assert c.total() == 60.0


def test_bulk_discount():
    c = Cart()
    c.add("chair", 100)
    assert c.total() == 108.0


def test_discount_amount():
    assert Cart().discount(250) == 25.0


def test_coupon():
    c = Cart()
    c.add("lamp", 40)
    c.apply_coupon(10)
    assert c.total() == 41.0


def test_bad_item():
    with pytest.raises(ValueError):
        Cart().add("x", 1, qty=0)


def test_empty_cart():
    assert Cart().total() == 0
