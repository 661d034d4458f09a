from stock import remaining, sold_out


def test_partial():
    assert remaining({"pen": 5}, [("pen", 2)]) == {"pen": 3}


def test_oversold():
    assert remaining({"pen": 1}, [("pen", 3)]) == {"pen": 0}


def test_sold_out():
    assert sold_out({"pen": 2, "ink": 4}, [("pen", 5), ("ink", 1)]) == ["pen"]
