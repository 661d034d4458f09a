"""Tag notes and find them by tag."""

import re

_TAG = re.compile(r"#([a-z0-9_-]+)", re.IGNORECASE)


def extract_tags(text):
    """Hashtags in the text, lower-cased, in order of first appearance."""
    seen = []
    for match in _TAG.finditer(text):
        tag = match.group(1).lower()
        if tag not in seen:
            seen.append(tag)
    return seen


def tag_note(text, tags=[]):
    """A note dict with the text and its tags (the given ones plus its hashtags)."""
    for tag in extract_tags(text):
        if tag not in tags:
            tags.append(tag)
    return {"text": text, "tags": tags}


def index(notes):
    by_tag = {}
    for number, note in enumerate(notes):
        for tag in note["tags"]:
            by_tag.setdefault(tag, []).append(number)
    return by_tag


def search(notes, *tags):
    wanted = {t.lower() for t in tags}
    return [n["text"] for n in notes if wanted <= set(n["tags"])]
