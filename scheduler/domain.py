"""Facts of the domain that several rules (and the registry) need, each defined once.

Tiny pure helpers with no rule logic: how two IPC codes match, how far apart two places
are. Eligibility, explanations, candidates, the problem reader, `verify` and the registry
all call these; `verify` still states every rule itself (scheduler/verify.py), it only
shares what a field match and a distance are. The domain defaults (cooling-off period,
look-back years) are in scheduler/rules.py with the rules they belong to.
"""

from __future__ import annotations

import functools
import math
import sys
from bisect import bisect_left

import numpy as np

EARTH_RADIUS_KM = 6371.0


@functools.lru_cache(maxsize=1 << 16)  # plans and eligibility ask for the same few codes
def ipc_ancestors(code: str) -> tuple[str, ...]:
    """The codes that contain an IPC code, shallowest first, itself last: its section, class
    and subclass, its main group (written bare and as "/00"), then each shorter subgroup
    (G06F16/245 -> G, G06, G06F, G06F16, G06F16/00, G06F16/24, G06F16/245).

    A main group is a whole number: G06F1 contains G06F1/16 but not G06F16/245 (a plain
    string prefix would say it does). Subgroups nest by their digits, the usual reading of
    the IPC's dotted hierarchy (G06F16/24 contains G06F16/245).
    """
    # Section, class, subclass: every prefix up to 4 characters (the empty one too: an
    # empty code, which the registry never stores, matches everything as it always did).
    out = [code[:n] for n in range(min(len(code), 5))]
    slash = code.find("/")
    if slash > 0:
        group = code[:slash]
        out += [group, group + "/00"]  # G06F16/00 is the main group G06F16 written in full
        out += [code[:n] for n in range(slash + 1, len(code))]
    elif len(code) > 4:
        out.append(code + "/00")
    return (*(c for c in dict.fromkeys(out) if c != code), code)


def fields_match(a: str, b: str) -> bool:
    """Two IPC codes match when they are equal or one contains the other (ipc_ancestors:
    G06 ~ G06F ~ G06F16/245; G06F1 !~ G06F16)."""
    return a == b or a in ipc_ancestors(b) or b in ipc_ancestors(a)


def any_field_matches(codes, wanted) -> bool:
    """Whether any code of `codes` matches any code of `wanted` (fields_match)."""
    return any(fields_match(code, other) for code in codes for other in wanted)


def descendant_stem(code: str) -> str:
    """What every code that `code` contains starts with: the code itself, or for a main
    group the group and its slash (G06F1 -> G06F1/; G06F16/00 -> G06F16/). Only a code
    whose one slash is that of "/00" is a main group written in full: ipc_ancestors reads
    the group up to the first slash, so G06F16//00 contains nothing but its own extensions."""
    if code.endswith("/00") and code.find("/") == len(code) - 3:
        return code[:-2]
    return code + "/" if "/" not in code and len(code) > 4 else code


class CodeIndex:
    """Distinct IPC codes, sorted, to find the ones that match a code (fields_match) without
    comparing it with each of them.

    A code matches the codes that contain it, its ipc_ancestors (one dict lookup each, at
    most ~8), and the codes it contains, which start with its descendant_stem and so lie
    next to each other in sorted order (two bisections). The cost of a lookup is that and
    the size of its answer, however deep and however many the codes are.
    """

    def __init__(self, codes):
        self.codes = sorted(set(codes))
        self.ids = {c: k for k, c in enumerate(self.codes)}

    def matching(self, code: str) -> list[int]:
        """Ids (positions in `codes`) of every code that fields_match `code`, ascending."""
        found = {self.ids[c] for c in ipc_ancestors(code) if c in self.ids}
        stem = descendant_stem(code)
        lo = bisect_left(self.codes, stem)
        after = _after_prefix(stem)
        hi = len(self.codes) if after is None else bisect_left(self.codes, after, lo=lo)
        found.update(range(lo, hi))
        return sorted(found)


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
