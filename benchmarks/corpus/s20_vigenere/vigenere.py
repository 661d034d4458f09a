"""Vigenere cipher over the Latin alphabet; other characters pass through."""

from string import ascii_lowercase as ALPHABET


def _key_shifts(key):
    shifts = [ALPHABET.index(ch) for ch in key.lower() if ch in ALPHABET]
    if not shifts:
        raise ValueError("key must contain letters")
    return shifts


def _shift(ch, amount):
    base = ord("A") if ch.isupper() else ord("a")
    return chr((ord(ch) - base + amount) % 26 + base)


def encrypt(text, key):
    shifts = _key_shifts(key)
    out, k = [], 0
    for ch in text:
        if ch.lower() in ALPHABET:
            out.append(_shift(ch, shifts[k % len(shifts)]))
            k += 1
        else:
            out.append(ch)
    return "".join(out)


def decrypt(text, key):
    shifts = _key_shifts(key)
    out, k = [], 0
    for ch in text:
        if ch.lower() in ALPHABET:
            out.append(_shift(ch, shifts[k % len(shifts)]))
            k += 1
        else:
            out.append(ch)
    return "".join(out)
