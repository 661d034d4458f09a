"""Find search terms in text and mark them for display."""


def find_all(text, term, ignore_case=True):
    """Start offsets of the non-overlapping occurrences of ``term`` in ``text``."""
    if not term:
        raise ValueError("empty search term")
    haystack, needle = (text.lower(), term.lower()) if ignore_case else (text, term)
    found = []
    pos = haystack.find(needle)
    while pos != -1:
        found.append(pos)
        pos = haystack.find(needle, pos + 1)
    return found


def count(text, term, ignore_case=True):
    return len(find_all(text, term, ignore_case))


def highlight(text, term, before="[", after="]", ignore_case=True):
    out = []
    last = 0
    for pos in find_all(text, term, ignore_case):
        out.append(text[last:pos])
        out.append(before + text[pos:pos + len(term)] + after)
        last = pos + len(term)
    out.append(text[last:])
    return "".join(out)


def snippet(text, term, width=20):
    """The text around the first hit, with '...' where it was cut."""
    hits = find_all(text, term)
    if not hits:
        return text[:width]
    start = max(0, hits[0] - width // 2)
    end = min(len(text), start + width)
    return ("..." if start else "") + text[start:end] + ("..." if end < len(text) else "")
