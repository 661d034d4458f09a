from rle import decode


def test_multi_digit_counts():
    assert decode("12z1y") == "z" * 12 + "y"
