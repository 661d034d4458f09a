import pytest

from stats import histogram, mean, median, percentile, stdev


def test_mean():
    assert mean([1, 2, 3, 4]) == 2.5


def test_median_even():
    assert median([4, 1, 3, 2]) == 2.5


def test_percentile_interpolates():
    assert percentile([10, 20, 30, 40], 50) == 25


def test_percentile_single_value():
    assert percentile([7], 90) == 7


def test_percentile_bounds():
    with pytest.raises(ValueError):
        percentile([1, 2], 101)


def test_stdev():
    assert stdev([2, 4, 4, 4, 5, 5, 7, 9]) == 2.0


def test_histogram():
    assert histogram([1, 2, 2, 3, 9], 2) == [4, 1]
