from wordfreq import counts, report, tokenize, top_words


def test_tokenize_simple():
    assert tokenize("The cat, the hat.") == ["the", "cat", "the", "hat"]


def test_tokenize_newlines_and_tabs():
    assert tokenize("one\ntwo\tthree") == ["one", "two", "three"]


def test_counts_across_lines():
    assert counts("a b\na") == {"a": 2, "b": 1}


def test_top_words_ties_alphabetical():
    assert top_words("b a c b a", 2) == ["a", "b"]


def test_report():
    assert report("x y x", 2) == "x=2, y=1"
