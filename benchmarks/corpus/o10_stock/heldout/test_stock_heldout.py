from stock import remaining


def test_unknown_item():
    assert remaining({}, [("cap", 2)]) == {"cap": 0}


def test_two_orders():
    assert remaining({"pen": 4}, [("pen", 3), ("pen", 3)]) == {"pen": 0}
