"""Shipping cost by weight tiers and zone."""

import bisect

# (up to kg, price in cents); the last tier is the heaviest we ship
TIERS = [(0.5, 450), (1.0, 600), (2.0, 850), (5.0, 1400), (10.0, 2300), (30.0, 4100)]
ZONE_FACTOR = {"domestic": 1.0, "europe": 1.8, "world": 2.6}


def rate_for(weight_kg, tiers=TIERS):
    if weight_kg <= 0:
        raise ValueError("weight must be positive")
    limits = [limit for limit, _ in tiers]
    index = bisect.bisect_right(limits, weight_kg)
    if index == len(tiers):
        raise ValueError(f"{weight_kg} kg is over the {limits[-1]} kg limit")
    return tiers[index][1]


def cost(weight_kg, zone="domestic", insured_value=0):
    if zone not in ZONE_FACTOR:
        raise ValueError(f"unknown zone {zone!r}")
    cents = round(rate_for(weight_kg) * ZONE_FACTOR[zone])
    if insured_value > 0:
        cents += max(200, round(insured_value * 100 * 0.01))
    return cents


def cheapest_split(weights, zone="domestic"):
    """Cost of sending each item separately versus together (None if too heavy)."""
    separate = sum(cost(w, zone) for w in weights)
    try:
        together = cost(sum(weights), zone)
    except ValueError:
        together = None
    return separate, together
