"""Bracket checks for a template language."""

PAIRS = {")": "(", "]": "[", "}": "{"}


def balanced(text):
    """True when every bracket is closed in order."""
    stack = []
    for ch in text:
        if ch in "([{":
            stack.append(ch)
        elif ch in PAIRS:
            if not stack or stack.pop() != PAIRS[ch]:
                return False
    return True


def first_unclosed(text):
    stack = []
    for i, ch in enumerate(text):
        if ch in "([{":
            stack.append(i)
        elif ch in PAIRS and stack:
            stack.pop()
    return stack[0] if stack else None
