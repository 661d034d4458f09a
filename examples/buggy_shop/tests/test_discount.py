from __future__ import annotations

from buggy_shop.discount import discounted


def test_ten_percent_off():
    assert discounted(20.0, 0.1) == 18.0


def test_no_discount():
    assert discounted(5.0, 0.0) == 5.0
