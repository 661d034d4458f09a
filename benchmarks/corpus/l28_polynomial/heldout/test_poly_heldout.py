from poly import derivative, evaluate


def test_derivative_evaluates():
    assert evaluate(derivative([4]), 10) == 0
    assert evaluate(derivative([0, 0, 1]), 3) == 6
