"""Course grades: clamp raw scores, weight the parts, and map to letters."""

LETTERS = [(90, "A"), (80, "B"), (70, "C"), (60, "D")]


def clamp(value, low, high):
    return max(low, min(value, high))


def weighted(exam, coursework, exam_weight=0.6):
    exam = clamp(exam, 100, 0)
    coursework = clamp(coursework, 0, 100)
    return exam * exam_weight + coursework * (1 - exam_weight)


def letter(score):
    for bound, name in LETTERS:
        if score >= bound:
            return name
    return "F"


def final_grade(exam, coursework):
    return letter(weighted(exam, coursework))
