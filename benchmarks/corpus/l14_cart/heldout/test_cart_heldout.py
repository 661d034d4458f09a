from cart import Cart


def test_discount_threshold():
    assert Cart().discount(99.99) == 0
    assert Cart().discount(100) == 10.0
