from highlight import find_all, highlight


def test_three_in_a_row():
    assert find_all("ababab", "abab") == [0]
    assert find_all("xxxxxx", "xx") == [0, 2, 4]


def test_highlight_adjacent_hits():
    assert highlight("abab", "ab") == "[ab][ab]"


def test_no_hit():
    assert highlight("abc", "z") == "abc"
