from steady import spread, steady_mean


def test_no_warmup():
    assert steady_mean([1.0, 2.0, 3.0], 0) == 2.0


def test_skips_warmup():
    assert steady_mean([10.0, 1.0, 3.0], 1) == 2.0


def test_spread():
    assert spread([9.0, 1.0, 4.0], 1) == 3.0
