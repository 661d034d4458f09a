import pytest

from orders import InvalidTransition, Order, summary


def test_happy_path():
    o = Order(1, 30)
    o.pay(30)
    o.ship()
    assert o.log == ["new", "paid", "shipped"]


def test_wrong_amount():
    with pytest.raises(ValueError):
        Order(1, 30).pay(29)


def test_ship_unpaid():
    with pytest.raises(InvalidTransition):
        Order(1, 30).ship()


def test_ship_twice():
    o = Order(1, 30)
    o.pay(30)
    o.ship()
    with pytest.raises(InvalidTransition):
        o.ship()


def test_cancel_refund():
    o = Order(1, 30)
    o.pay(30)
    assert o.cancel() == 30


def test_summary():
    a, b = Order(1, 1), Order(2, 1)
    b.pay(1)
    assert summary([a, b]) == {"new": 1, "paid": 1}
