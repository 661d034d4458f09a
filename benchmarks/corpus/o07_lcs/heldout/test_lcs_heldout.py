from lcs import lcs_length, similarity


def test_repeated():
    assert lcs_length(list("aaaa"), list("aa")) == 2


def test_similarity():
    assert similarity(list("ab"), list("ab")) == 1.0
