"""Facts of the domain that several rules (and the registry) need, each defined once.

Tiny pure helpers with no rule logic: how two IPC codes match, how far apart two places
are. Eligibility, explanations, candidates, the problem reader, `verify` and the registry
all call these; `verify` still states every rule itself (scheduler/verify.py), it only
shares what a field match and a distance are. The domain defaults (cooling-off period,
look-back years) are in scheduler/rules.py with the rules they belong to.
"""

from __future__ import annotations

import math
import sys
from bisect import bisect_left

import numpy as np

EARTH_RADIUS_KM = 6371.0


def fields_match(a: str, b: str) -> bool:
    """Two IPC codes match when they are equal or one is a prefix of the other (G06 ~ G06F)."""
    return a.startswith(b) or b.startswith(a)


def any_field_matches(codes, wanted) -> bool:
    """Whether any code of `codes` matches any code of `wanted` (fields_match)."""
    return any(fields_match(code, other) for code in codes for other in wanted)


class CodeIndex:
    """Distinct IPC codes, sorted, to find the ones that match a code (fields_match) without
    comparing it with each of them.

    A code matches the codes it starts with, which are its own prefixes (one dict lookup per
    character: at most ~12 for a subgroup like G06F16/245), and the codes that start with
    it, which lie next to each other in sorted order (two bisections). The cost of a lookup
    is that and the size of its answer, however deep and however many the codes are.
    """

    def __init__(self, codes):
        self.codes = sorted(set(codes))
        self.ids = {c: k for k, c in enumerate(self.codes)}

    def matching(self, code: str) -> list[int]:
        """Ids (positions in `codes`) of every code that fields_match `code`, ascending."""
        shorter = [self.ids[code[:n]] for n in range(len(code)) if code[:n] in self.ids]
        lo = bisect_left(self.codes, code)
        after = _after_prefix(code)
        hi = len(self.codes) if after is None else bisect_left(self.codes, after, lo=lo)
        return shorter + list(range(lo, hi))


def _after_prefix(code: str) -> str | None:
    """The least string above every string that starts with `code` (None: there is none)."""
    stem = code.rstrip(chr(sys.maxunicode))
    return stem[:-1] + chr(ord(stem[-1]) + 1) if stem else None


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def great_circle_matrix(lat_deg, lon_deg) -> np.ndarray:
    """Every pairwise great_circle_km at once (numpy; may differ from the scalar form in the
    last bit, about 1e-13 km)."""
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    dlat, dlon = lat[None, :] - lat[:, None], lon[None, :] - lon[:, None]
    h = (np.sin(dlat / 2) ** 2
         + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
