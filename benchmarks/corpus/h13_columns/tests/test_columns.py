import pytest

from columns import cell_name, column_label, column_number, parse_cell


def test_first_letters():
    assert [column_label(n) for n in (1, 2, 25)] == ["A", "B", "Y"]


def test_column_number():
    assert column_number("A") == 1 and column_number("az") == 52


def test_parse_cell():
    assert parse_cell("c12") == (12, 3)
    with pytest.raises(ValueError):
        parse_cell("12C")


def test_bad_column():
    with pytest.raises(ValueError):
        column_label(0)


def test_z_and_beyond():
    assert column_label(26) == "Z"
    assert column_label(27) == "AA"


def test_round_trip():
    assert cell_name(*parse_cell("AZ9")) == "AZ9"
