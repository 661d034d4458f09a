from lcs import lcs_length, similarity


def test_identical():
    assert lcs_length(list("abc"), list("abc")) == 3


def test_disjoint():
    assert lcs_length(list("abc"), list("xyz")) == 0


def test_classic():
    assert lcs_length(list("ABCBDAB"), list("BDCABA")) == 4


def test_similarity_empty():
    assert similarity([], []) == 1.0
