"""ISBN-10 and ISBN-13: normalise, validate, convert."""


def normalize(text):
    return text.replace("-", "").replace(" ", "").upper()


def isbn10_check_digit(first9):
    total = sum((10 - i) * int(d) for i, d in enumerate(first9))
    value = (11 - total % 11) % 11
    return "X" if value == 10 else str(value)


def isbn13_check_digit(first12):
    total = 0
    for i, d in enumerate(first12):
        weight = 1 if i % 2 == 1 else 3
        total += weight * int(d)
    return str((10 - total % 10) % 10)


def is_valid(text):
    code = normalize(text)
    if len(code) == 10:
        body, check = code[:9], code[9]
        return body.isdigit() and isbn10_check_digit(body) == check
    if len(code) == 13:
        return code.isdigit() and isbn13_check_digit(code[:12]) == code[12]
    return False


def to_isbn13(text):
    code = normalize(text)
    if len(code) == 13:
        if not is_valid(code):
            raise ValueError(f"invalid ISBN-13: {text}")
        return code
    if len(code) != 10 or not is_valid(code):
        raise ValueError(f"invalid ISBN-10: {text}")
    body = "978" + code[:9]
    return body + isbn13_check_digit(body)
