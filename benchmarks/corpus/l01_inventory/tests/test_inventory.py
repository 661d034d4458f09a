import pytest

from inventory import Inventory, OutOfStock


def make():
    inv = Inventory()
    inv.add("apple", 10)
    inv.add("pear", 3)
    return inv


def test_add_accumulates():
    inv = make()
    inv.add("apple", 5)
    assert inv.count("apple") == 15


def test_add_rejects_zero():
    with pytest.raises(ValueError):
        make().add("apple", 0)


def test_remove_some():
    inv = make()
    assert inv.remove("apple", 4) == 6


def test_remove_all():
    inv = make()
    assert inv.remove("pear", 3) == 0


def test_remove_too_many():
    with pytest.raises(OutOfStock):
        make().remove("pear", 4)


def test_transfer_everything():
    a, b = make(), Inventory()
    a.transfer(b, "pear", 3)
    assert (a.count("pear"), b.count("pear")) == (0, 3)


def test_reorder():
    inv = make()
    inv.set_reorder_level("pear", 5)
    inv.set_reorder_level("apple", 2)
    assert inv.needs_reorder() == ["pear"]


def test_total_units():
    assert make().total_units() == 13
