"""How alike two short reports are, cheaply: the Dice coefficient of their character bigrams.

Chinese reports name the same thing with the same characters (垃圾, 堆放, 井盖) but rarely in the same
order or length, so overlapping bigrams say more than any word list, need no tokenizer or model,
and cost microseconds. Punctuation, spaces and digits carry nothing here and are dropped first.
"""
from __future__ import annotations

import math
import re

_NOISE = re.compile(r"[\s\d\W_]+", re.UNICODE)
EARTH_RADIUS_M = 6_371_000.0


def bigrams(text: str) -> set[str]:
    letters = _NOISE.sub("", text.lower())
    if len(letters) < 2:
        return {letters} if letters else set()
    return {letters[i:i + 2] for i in range(len(letters) - 1)}


def similarity(a: str, b: str) -> float:
    """0 (nothing in common) to 1 (the same bigrams)."""
    left, right = bigrams(a), bigrams(b)
    if not left or not right:
        return 0.0
    return 2 * len(left & right) / (len(left) + len(right))


def metres_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine); exact enough for a few hundred metres and for a whole city."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def degree_box(lat: float, radius_m: float) -> tuple[float, float]:
    """(Δlat, Δlon) in degrees covering `radius_m` around latitude `lat`: a cheap prefilter for a query."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    return dlat, dlat / max(math.cos(math.radians(lat)), 1e-6)
