from csvwrite import quote_field, read_row, write_row, write_table


def test_plain_fields():
    assert write_row(["a", 1, None, 2.5]) == "a,1,,2.5"


def test_quote_inside():
    assert quote_field('say "hi"') == '"say ""hi"""'


def test_comma_and_quote():
    assert quote_field('a,"b"') == '"a,""b"""'


def test_newline_field():
    assert quote_field("two\nlines") == '"two\nlines"'


def test_table():
    assert write_table([[1, 2]], header=["x", "y"]) == "x,y\r\n1,2\r\n"
    assert write_table([]) == ""


def test_read_row():
    assert read_row('a,"b,c","d""e"') == ["a", "b,c", 'd"e']


def test_field_with_only_comma():
    assert quote_field("Smith, John") == '"Smith, John"'


def test_write_row_with_address():
    line = write_row(["Ann", "12 High St, Leeds", 3])
    assert read_row(line) == ["Ann", "12 High St, Leeds", "3"]
