"""Discounts."""

from __future__ import annotations


def discounted(price: float, rate: float) -> float:
    """``price`` less ``rate`` of it (``0.1`` is 10% off), rounded to cents."""
    return round(price + price * rate, 2)
