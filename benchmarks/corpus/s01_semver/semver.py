"""Semantic versions: parse, compare and pick the latest."""

import re

_PATTERN = re.compile(
    r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$")


class Version:
    def __init__(self, major, minor, patch, prerelease=(), build=""):
        self.major, self.minor, self.patch = major, minor, patch
        self.prerelease = tuple(prerelease)
        self.build = build

    @classmethod
    def parse(cls, text):
        match = _PATTERN.match(text.strip())
        if match is None:
            raise ValueError(f"not a semantic version: {text!r}")
        major, minor, patch, pre, build = match.groups()
        parts = tuple(pre.split(".")) if pre else ()
        return cls(int(major), int(minor), int(patch), parts, build or "")

    def __str__(self):
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + self.build
        return text


def _compare_identifiers(a, b):
    if a.isdigit() and b.isdigit():
        x, y = int(a), int(b)
    elif a.isdigit():
        return -1
    elif b.isdigit():
        return 1
    else:
        x, y = a, b
    return (x > y) - (x < y)


def _compare_prerelease(a, b):
    if not a and not b:
        return 0
    if not a:
        return -1
    if not b:
        return 1
    for x, y in zip(a, b):
        result = _compare_identifiers(x, y)
        if result:
            return result
    return (len(a) > len(b)) - (len(a) < len(b))


def compare(left, right):
    """-1, 0 or 1 as version text ``left`` is older than, equal to or newer than ``right``."""
    a, b = Version.parse(left), Version.parse(right)
    core_a, core_b = (a.major, a.minor, a.patch), (b.major, b.minor, b.patch)
    if core_a != core_b:
        return -1 if core_a < core_b else 1
    return _compare_prerelease(a.prerelease, b.prerelease)


def latest(versions):
    best = None
    for text in versions:
        if best is None or compare(text, best) > 0:
            best = text
    return best
