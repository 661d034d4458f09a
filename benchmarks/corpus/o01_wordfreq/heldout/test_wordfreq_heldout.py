from wordfreq import counts, top_words


def test_double_spaces():
    assert counts("a  b") == {"a": 1, "b": 1}


def test_top_words_multiline():
    assert top_words("dog\ncat\ndog", 1) == ["dog"]


def test_empty():
    assert counts("") == {}
