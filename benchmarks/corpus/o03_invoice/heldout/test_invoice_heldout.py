from invoice import invoice_total


def test_full_discount():
    assert invoice_total([(3, 10.0)], discount_percent=100) == 0.0


def test_half_discount():
    assert invoice_total([(2, 25.0)], discount_percent=50) == 30.0
