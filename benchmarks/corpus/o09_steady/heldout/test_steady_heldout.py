from steady import steady_mean


def test_all_warmup():
    assert steady_mean([5.0, 6.0], 2) is None


def test_two_warmup():
    assert steady_mean([100.0, 50.0, 2.0, 4.0], 2) == 3.0
