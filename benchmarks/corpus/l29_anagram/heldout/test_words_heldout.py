from words import group_anagrams


def test_groups_with_spaces():
    assert group_anagrams(["a gentleman", "elegant man", "x"]) == [["a gentleman", "elegant man"], ["x"]]
