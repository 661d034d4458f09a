from words import are_anagrams, group_anagrams, is_palindrome, letter_frequencies


def test_simple_anagram():
    assert are_anagrams("listen", "silent")


def test_case_insensitive():
    assert are_anagrams("Tea", "eat")


def test_ignores_spaces_and_punctuation():
    assert are_anagrams("dormitory", "dirty room!")


def test_groups():
    assert group_anagrams(["tan", "nat", "bat"]) == [["bat"], ["nat", "tan"]]


def test_palindrome():
    assert is_palindrome("A man, a plan, a canal: Panama")


def test_frequencies():
    assert letter_frequencies("aab!") == {"a": 0.667, "b": 0.333}
