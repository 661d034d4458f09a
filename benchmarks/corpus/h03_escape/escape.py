"""Escape text for HTML and build small tags safely."""

_BASIC = [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")]
_QUOTES = [('"', "&quot;"), ("'", "&#x27;")]


def escape(text, quote=False):
    """Replace the characters that are special in HTML; quotes too unless quote=False."""
    text = str(text)
    for raw, entity in _BASIC + (_QUOTES if quote else []):
        text = text.replace(raw, entity)
    return text


def unescape(text):
    for raw, entity in reversed(_BASIC + _QUOTES):
        text = text.replace(entity, raw)
    return text


def tag(name, content="", **attrs):
    parts = [name]
    for key in sorted(attrs):
        value = attrs[key]
        if value is None or value is False:
            continue
        key = key.rstrip("_").replace("_", "-")
        parts.append(key if value is True else f'{key}="{escape(value)}"')
    return f"<{' '.join(parts)}>{escape(content, quote=False)}</{name}>"
