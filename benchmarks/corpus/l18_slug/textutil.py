"""Text helpers: slugs, initials, case conversion and word counts."""

import re
import unicodedata


def strip_accents(text):
    normalized = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in normalized if not unicodedata.combining(ch))


def slugify(text, sep="-"):
    text = strip_accents(text)
    text = text.title()
    words = re.findall(r"[a-z0-9]+", text, flags=re.IGNORECASE)
    return sep.join(words)


def initials(name):
    return "".join(part[0].upper() for part in name.split() if part)


def snake_to_camel(name):
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def camel_to_snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def word_counts(text):
    counts = {}
    for word in re.findall(r"[a-z']+", text.lower()):
        counts[word] = counts.get(word, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
