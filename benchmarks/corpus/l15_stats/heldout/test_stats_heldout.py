from stats import percentile


def test_percentile_extremes():
    assert percentile([3, 1, 2], 0) == 1
    assert percentile([3, 1, 2], 100) == 3


def test_single_value_any_p():
    assert percentile([5.5], 0) == 5.5
