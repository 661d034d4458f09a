from grades import final_grade, weighted


def test_negative_exam_clamped():
    assert weighted(-20, 50) == 20


def test_weights():
    assert weighted(100, 0, exam_weight=0.5) == 50
    assert final_grade(95, 95) == "A"
