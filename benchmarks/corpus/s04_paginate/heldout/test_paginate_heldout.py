import pytest

from paginate import Paginator


def test_fewer_items_than_a_page():
    p = Paginator(range(3), per_page=10)
    assert p.page_count() == 1
    assert p.page(1) == [0, 1, 2]


def test_window_near_end():
    assert Paginator(range(41), per_page=10).window(5) == [3, 4, 5]


def test_one_past_last():
    p = Paginator(range(21), per_page=10)
    assert p.page(3) == [20]
    with pytest.raises(IndexError):
        p.page(4)


def test_exact_multiple():
    assert Paginator(range(30), per_page=10).page_count() == 3
