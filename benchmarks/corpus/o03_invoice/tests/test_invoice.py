from invoice import describe, invoice_total, subtotal


def test_subtotal():
    assert subtotal([(2, 5.0), (1, 3.0)]) == 13.0


def test_total_without_discount():
    assert invoice_total([(1, 100.0)]) == 120.0


def test_vat_on_discounted_amount():
    assert invoice_total([(1, 100.0)], discount_percent=10) == 108.0


def test_describe():
    assert describe([(1, 10.0)]) == "1 item(s), total 12.00"
