from textutil import camel_to_snake, initials, slugify, snake_to_camel, word_counts


def test_slug_basic():
    assert slugify("Hello World") == "hello-world"


def test_slug_accents_and_punctuation():
    assert slugify("Crème brûlée, 2 pièces!") == "creme-brulee-2-pieces"


def test_slug_digits_only():
    assert slugify("2024 / 07") == "2024-07"


def test_initials():
    assert initials("ada  lovelace") == "AL"


def test_case_round_trip():
    assert camel_to_snake(snake_to_camel("max_line_length")) == "max_line_length"


def test_word_counts():
    assert word_counts("a b a") == {"a": 2, "b": 1}
