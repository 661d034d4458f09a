import pytest

from bill import format_cents, split_evenly, split_weighted, to_cents, with_tip


def test_even_split_exact():
    assert split_evenly(900, 3) == [300, 300, 300]


def test_even_split_remainder():
    assert split_evenly(1000, 3) == [334, 333, 333]


def test_even_split_adds_up():
    assert sum(split_evenly(1001, 6)) == 1001


def test_tip():
    assert with_tip(1000, 15) == 1150


def test_weighted():
    assert split_weighted(100, [1, 1, 2]) == [25, 25, 50]


def test_bad_people():
    with pytest.raises(ValueError):
        split_evenly(100, 0)


def test_format():
    assert format_cents(to_cents(12.5)) == "12.50"
