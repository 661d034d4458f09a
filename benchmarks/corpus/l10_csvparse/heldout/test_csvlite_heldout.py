from csvlite import split_line


def test_only_escaped_quotes():
    assert split_line('""""') == ['"']


def test_empty_fields():
    assert split_line(",,") == ["", "", ""]
