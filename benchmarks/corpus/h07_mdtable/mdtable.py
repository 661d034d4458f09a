"""Render rows as an aligned Markdown table."""


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value).replace("|", "\\|")


def render(header, rows, align=None):
    """A Markdown table; ``align`` maps a column name to 'left', 'right' or 'center'."""
    align = align or {}
    cells = [[_cell(v) for v in row] for row in rows]
    for row in cells:
        if len(row) != len(header):
            raise ValueError(f"row {row} has {len(row)} cells, expected {len(header)}")
    widths = [max(3, len(h)) for h in header]
    for row in cells:
        for i, text in enumerate(row):
            widths[i] = max(widths[i], len(header[i]))
    lines = [_line(header, widths, align, header)]
    rule = []
    for name, width in zip(header, widths):
        how = align.get(name, "left")
        dashes = "-" * width
        if how == "right":
            dashes = dashes[:-1] + ":"
        elif how == "center":
            dashes = ":" + dashes[1:-1] + ":"
        rule.append(dashes)
    lines.append("| " + " | ".join(rule) + " |")
    lines.extend(_line(row, widths, align, header) for row in cells)
    return "\n".join(lines)


def _line(texts, widths, align, header):
    out = []
    for text, width, name in zip(texts, widths, header):
        if align.get(name) == "right":
            out.append(text.rjust(width))
        elif align.get(name) == "center":
            out.append(text.center(width))
        else:
            out.append(text.ljust(width))
    return "| " + " | ".join(out) + " |"
