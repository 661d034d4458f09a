"""Parse and build URL query strings."""

from urllib.parse import quote, unquote


def _decode(part):
    return unquote(part.replace("+", " "))


def parse_qs(query, keep_blank=False):
    """'a=1&b=2&a=3' -> {'a': ['1', '3'], 'b': ['2']}."""
    result = {}
    query = query.lstrip("?")
    for pair in query.split("&"):
        if not pair:
            continue
        if "=" in pair:
            key, value = pair.split("=")
        else:
            key, value = pair, ""
        if not value and not keep_blank:
            continue
        result.setdefault(_decode(key), []).append(_decode(value))
    return result


def build_qs(params):
    parts = []
    for key in sorted(params):
        values = params[key]
        if isinstance(values, str):
            values = [values]
        for value in values:
            parts.append(f"{quote(str(key), safe='')}={quote(str(value), safe='')}")
    return "&".join(parts)


def first(query, key, default=None):
    values = parse_qs(query).get(key)
    return values[0] if values else default
