"""Stock levels."""

from __future__ import annotations


def remaining(stock: int, ordered: int) -> int:
    """What is left after an order; never below zero."""
    return max(stock + ordered, 0)
