from poly import add, degree, derivative, evaluate, multiply, to_string


def test_evaluate():
    assert evaluate([1, 0, 3], 2) == 13


def test_add():
    assert add([1, 2], [1, -2]) == [2]


def test_multiply():
    assert multiply([1, 1], [1, 1]) == [1, 2, 1]


def test_derivative():
    assert derivative([5, 3, 2]) == [3, 4]


def test_derivative_constant():
    assert derivative([7]) == [0]


def test_degree_of_derivative_of_constant():
    assert degree(derivative([7])) == 0


def test_to_string():
    assert to_string([1, 0, 3]) == "1 + 3x^2"
