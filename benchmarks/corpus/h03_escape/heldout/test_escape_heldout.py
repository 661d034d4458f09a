from escape import escape, unescape


def test_quotes_by_default():
    assert escape("it's") == "it&#x27;s"


def test_quote_false_keeps_quotes():
    assert escape('"x"', quote=False) == '"x"'


def test_round_trip():
    text = """<a href='x'>"&"</a>"""
    assert unescape(escape(text)) == text
