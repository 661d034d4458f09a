import pytest

from csvlite import read_dicts, read_typed, split_line


def test_plain():
    assert split_line("a,b,c") == ["a", "b", "c"]


def test_quoted_separator():
    assert split_line('"a,b",c') == ["a,b", "c"]


def test_escaped_quote():
    assert split_line('"say ""hi""",x') == ['say "hi"', "x"]


def test_escaped_quote_typed():
    rows = read_typed('name,n\n"a""b",3\n')
    assert rows == [{"name": 'a"b', "n": 3}]


def test_unterminated():
    with pytest.raises(ValueError):
        split_line('"abc')


def test_dicts():
    assert read_dicts("x;y\n1;2", sep=";") == [{"x": "1", "y": "2"}]


def test_typed_floats():
    assert read_typed("v\n1.5") == [{"v": 1.5}]
