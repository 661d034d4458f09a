"""Run-length encoding of strings: "aaabcc" <-> "3a1b2c"."""


def encode(text):
    if not text:
        return ""
    out = []
    current, count = text[0], 1
    for ch in text[1:]:
        if ch == current:
            count += 1
        else:
            out.append(f"{count}{current}")
            current, count = ch, 1
    out.append(f"{count}{current}")
    return "".join(out)


def _leading_digits(text, i):
    j = i
    while j < len(text) and text[j].isdigit():
        j += 1
    return text[i:j]


def decode(text):
    out = []
    i = 0
    while i < len(text):
        digits = _leading_digits(text, i)
        if not digits or i + len(digits) >= len(text):
            raise ValueError(f"malformed input at {i}")
        out.append(text[i + len(digits)] * int(digits))
        i += len(digits)
    return "".join(out)


def ratio(text):
    return len(encode(text)) / len(text) if text else 1.0
