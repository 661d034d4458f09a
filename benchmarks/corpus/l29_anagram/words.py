"""Word games: anagram signatures and groups, palindromes, letter frequencies."""

from collections import Counter


def signature(word):
    letters = [ch for ch in word.lower()]
    return "".join(sorted(letters))


def are_anagrams(a, b):
    return signature(a) == signature(b)


def group_anagrams(words):
    groups = {}
    for word in words:
        groups.setdefault(signature(word), []).append(word)
    return sorted(sorted(g) for g in groups.values())


def is_palindrome(text):
    cleaned = [ch for ch in text.lower() if ch.isalnum()]
    return cleaned == cleaned[::-1]


def letter_frequencies(text):
    counts = Counter(ch for ch in text.lower() if ch.isalpha())
    total = sum(counts.values())
    return {ch: round(n / total, 3) for ch, n in sorted(counts.items())} if total else {}
