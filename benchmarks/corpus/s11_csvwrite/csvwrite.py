"""Write rows as CSV text (RFC 4180 quoting), and read them back."""


def quote_field(value, sep=","):
    text = "" if value is None else str(value)
    needs_quotes = sep in text and '"' in text or "\n" in text or "\r" in text
    if text != text.strip():
        needs_quotes = True
    if needs_quotes:
        return '"' + text.replace('"', '""') + '"'
    return text


def write_row(values, sep=","):
    return sep.join(quote_field(v, sep) for v in values)


def write_table(rows, header=None, sep=","):
    lines = []
    if header is not None:
        lines.append(write_row(header, sep))
    lines.extend(write_row(row, sep) for row in rows)
    return "\r\n".join(lines) + ("\r\n" if lines else "")


def read_row(line, sep=","):
    fields, field, quoted, i = [], [], False, 0
    while i < len(line):
        ch = line[i]
        if quoted:
            if ch == '"' and line[i + 1:i + 2] == '"':
                field.append('"')
                i += 1
            elif ch == '"':
                quoted = False
            else:
                field.append(ch)
        elif ch == '"':
            quoted = True
        elif ch == sep:
            fields.append("".join(field))
            field = []
        else:
            field.append(ch)
        i += 1
    fields.append("".join(field))
    return fields
