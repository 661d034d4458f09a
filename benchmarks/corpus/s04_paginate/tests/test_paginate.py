import pytest

from paginate import Paginator


def test_exact_pages():
    assert Paginator(range(40), per_page=10).page_count() == 4


def test_empty_has_one_page():
    p = Paginator([], per_page=10)
    assert p.page_count() == 1
    assert p.summary(1) == "No results"


def test_page_slice():
    assert Paginator(range(25), per_page=10).page(2) == list(range(10, 20))


def test_page_out_of_range():
    with pytest.raises(IndexError):
        Paginator(range(25), per_page=10).page(0)


def test_page_count_partial_last_page():
    assert Paginator(range(23), per_page=10).page_count() == 3


def test_last_page_items():
    p = Paginator(range(23), per_page=10)
    assert p.page(3) == [20, 21, 22]
    assert p.summary(3) == "21-23 of 23"


def test_rejects_zero_per_page():
    with pytest.raises(ValueError):
        Paginator([1], per_page=0)
