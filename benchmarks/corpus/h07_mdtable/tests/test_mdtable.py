import pytest

from mdtable import render


def test_simple():
    assert render(["name", "qty"], [["tea", 2]]).splitlines() == [
        "| name | qty |",
        "| ---- | --- |",
        "| tea  | 2   |",
    ]


def test_floats_and_none():
    assert render(["price", "note"], [[1.5, None]]).splitlines()[2] == "| 1.50  |      |"


def test_wrong_row_length():
    with pytest.raises(ValueError):
        render(["a", "b"], [[1]])


def test_right_align():
    lines = render(["item", "n"], [["x", 1]], align={"n": "right"}).splitlines()
    assert lines[1] == "| ---- | --: |"
    assert lines[2] == "| x    |   1 |"


def test_long_cell_widens_column():
    assert render(["id"], [["abcdef"]]).splitlines() == [
        "| id     |",
        "| ------ |",
        "| abcdef |",
    ]
