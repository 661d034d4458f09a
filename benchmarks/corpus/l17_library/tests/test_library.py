import pytest

from library import Library, add_days


def lib():
    library = Library(loan_days=10)
    for isbn in ("a", "b", "c", "d"):
        library.add_book(isbn)
    return library


def test_add_days():
    assert add_days(5, 3) == 8


def test_checkout_due_date():
    assert lib().checkout("ann", "a", today=100) == 110


def test_late_fee():
    library = lib()
    library.checkout("ann", "a", today=0)
    assert library.give_back("a", today=14) == 2.0


def test_unknown_book():
    with pytest.raises(KeyError):
        lib().checkout("ann", "zzz", today=1)


def test_add_days_bad_length():
    with pytest.raises(ValueError):
        add_days(1, -1)


def test_no_loans():
    assert lib().loans_of("bob") == []
