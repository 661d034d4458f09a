"""A password policy checker and a strength score."""

COMMON = {"password", "123456", "qwerty", "letmein", "admin"}


def check(password, min_length=8):
    problems = []
    if len(password) < min_length:
        problems.append(f"shorter than {min_length}")
    if password.lower() in COMMON:
        problems.append("too common")
    if not any(ch.isupper() for ch in password):
        problems.append("no upper-case letter")
    if password.strip() != password:
        problems.append("leading or trailing space")
    return problems


def is_valid(password, min_length=8):
    return not check(password, min_length)


def strength(password):
    score = min(len(password), 20)
    classes = [str.islower, str.isupper, str.isdigit]
    score += 5 * sum(any(f(ch) for ch in password) for f in classes)
    if any(not ch.isalnum() for ch in password):
        score += 5
    return min(score, 40)
