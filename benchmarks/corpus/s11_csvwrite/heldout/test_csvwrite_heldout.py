from csvwrite import quote_field, read_row, write_row


def test_other_separator():
    assert quote_field("a;b", sep=";") == '"a;b"'
    assert quote_field("a,b", sep=";") == "a,b"


def test_round_trip():
    row = ["x,y", 'q"', " pad", "", "plain"]
    assert read_row(write_row(row)) == row
