from grades import clamp, final_grade, letter, weighted


def test_clamp():
    assert clamp(120, 0, 100) == 100
    assert clamp(-5, 0, 100) == 0


def test_letter_bounds():
    assert letter(90) == "A"
    assert letter(59.9) == "F"


def test_weighted_plain():
    assert weighted(50, 50) == 50


def test_weighted_clamps_exam():
    assert weighted(130, 100) == 100


def test_final_grade():
    assert final_grade(85, 75) == "B"
