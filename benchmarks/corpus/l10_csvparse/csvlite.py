"""A small CSV reader: quoted fields, escaped quotes, headers, typed columns."""


def split_line(line, sep=","):
    fields = []
    field = []
    in_quotes = False
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == '"' and not in_quotes and not field:
            in_quotes = True
        elif ch == '"' and in_quotes:
            in_quotes = False
        elif ch == sep and not in_quotes:
            fields.append("".join(field))
            field = []
        else:
            field.append(ch)
        i += 1
    if in_quotes:
        raise ValueError("unterminated quote")
    fields.append("".join(field))
    return fields


def read_rows(text, sep=","):
    return [split_line(line, sep) for line in text.splitlines() if line.strip()]


def read_dicts(text, sep=","):
    rows = read_rows(text, sep)
    if not rows:
        return []
    header = rows[0]
    return [dict(zip(header, row)) for row in rows[1:]]


def convert(value):
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def read_typed(text, sep=","):
    return [{k: convert(v) for k, v in row.items()} for row in read_dicts(text, sep)]
