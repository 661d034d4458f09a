import pytest

from library import Library


def test_loan_limit():
    library = Library(max_loans=1)
    library.add_book("x")
    library.add_book("y")
    library.checkout("m", "x", today=3)
    with pytest.raises(ValueError):
        library.checkout("m", "y", today=3)


def test_on_time_no_fee():
    library = Library(loan_days=5)
    library.add_book("x")
    library.checkout("m", "x", today=1)
    assert library.give_back("x", today=6) == 0
