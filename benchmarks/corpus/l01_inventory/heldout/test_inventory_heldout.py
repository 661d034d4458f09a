from inventory import Inventory


def test_remove_to_zero_then_reorder():
    inv = Inventory()
    inv.add("x", 2)
    inv.set_reorder_level("x", 0)
    inv.remove("x", 2)
    assert inv.needs_reorder() == ["x"]


def test_unknown_sku_count():
    assert Inventory().count("nothing") == 0
