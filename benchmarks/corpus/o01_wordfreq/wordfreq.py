"""Word frequencies of a text: counting, top words, and a short report."""

import string


def tokenize(text):
    words = []
    for raw in text.split(" "):
        word = raw.strip(string.punctuation).lower()
        if word:
            words.append(word)
    return words


def counts(text):
    result = {}
    for word in tokenize(text):
        result[word] = result.get(word, 0) + 1
    return result


def top_words(text, k):
    ranked = sorted(counts(text).items(), key=lambda kv: (-kv[1], kv[0]))
    return [word for word, _ in ranked[:k]]


def report(text, k=3):
    freq = counts(text)
    return ", ".join(f"{w}={freq[w]}" for w in top_words(text, k))
