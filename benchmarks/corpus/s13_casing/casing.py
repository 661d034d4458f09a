"""Convert identifiers between camelCase, PascalCase, snake_case and kebab-case."""


def _words(name):
    """The words of an identifier: 'parseHTTPResponse2' -> ['parse', 'HTTP', 'Response2']."""
    words = []
    current = ""
    for i, ch in enumerate(name):
        if ch in "_- ":
            if current:
                words.append(current)
            current = ""
            continue
        prev = name[i - 1] if i else ""
        nxt = name[i + 1] if i + 1 < len(name) else ""
        starts_word = ch.isupper() and (prev.islower() or prev.isdigit())
        if starts_word and current:
            words.append(current)
            current = ""
        current += ch
    if current:
        words.append(current)
    return words


def to_snake(name):
    return "_".join(w.lower() for w in _words(name))


def to_kebab(name):
    return "-".join(w.lower() for w in _words(name))


def to_camel(name):
    words = _words(name)
    if not words:
        return ""
    return words[0].lower() + "".join(w.capitalize() for w in words[1:])


def to_pascal(name):
    return "".join(w.capitalize() for w in _words(name))
