"""Generate realistic dispatch problems over the real YRD and GBA cities and IPC fields."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scheduler.rules import COOLING_OFF_DAYS

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
PROVINCE_CODES = {
    "Shanghai": "SH", "Jiangsu": "JS", "Zhejiang": "ZJ", "Anhui": "AH",
    "Guangdong": "GD", "Hong Kong SAR": "HK", "Macao SAR": "MO",
}
YRD = ["SH", "JS", "ZJ", "AH"]
GBA = ["GD", "HK", "MO"]
AS_OF = dt.date(2025, 3, 3)
HORIZON_DAYS = 120


@dataclass(frozen=True)
class Distribution:
    """How a generated problem is drawn. `current` reproduces the original generator exactly."""

    arbitration_share: float = 0.25     # requests heard by arbitrators (in the GBA)
    panel_share: float = 0.5            # arbitration requests with a three-arbitrator panel
    day_spans: tuple = (0, 0, 1, 2)     # extra days a hearing or inspection lasts
    expert_field_counts: tuple = (2, 2, 3, 3, 4)
    dominant_city: str | None = None    # one city that takes most requests and many experts
    dominant_requests: float = 0.0
    dominant_experts: float = 0.0
    scarce_weight: float = 1.0          # experts' weight on every third subclass ("scarce")
    ipc_depth: str = "subclass"         # "subgroup": codes down to G06F16/245


DISTRIBUTIONS = {
    "current": Distribution(),
    # One dominant city, scarce fields, many three-arbitrator panels, long hearings.
    "skewed": Distribution(arbitration_share=0.5, panel_share=0.85, day_spans=(2, 3, 4, 6, 9),
                           expert_field_counts=(1, 1, 2, 2, 3), dominant_city="shenzhen",
                           dominant_requests=0.6, dominant_experts=0.35, scarce_weight=0.1),
    # The current problem with codes refined to groups and subgroups (see _deepen_codes).
    "subgroup": Distribution(ipc_depth="subgroup"),
}


def read_seed(name: str) -> list[dict]:
    with open(SEEDS / name, encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def _cities() -> list[dict]:
    rows = []
    for name in ("yrd_cities.csv", "gba_cities.csv"):
        for row in read_seed(name):
            rows.append({
                "code": row["code"], "name_zh": row["name_zh"], "name_en": row["name_en"],
                "lat": float(row["lat"]), "lon": float(row["lon"]),
                "jurisdiction": PROVINCE_CODES[row["province_en"]],
            })
    return rows


def _fields() -> tuple[list[str], np.ndarray]:
    """IPC subclasses with a sampling weight: litigation-common ones come up more often."""
    rows = [r for r in read_seed("ipc_fields.csv") if r["level"] == "subclass"]
    codes = [r["code"] for r in rows]
    weights = np.array([3.0 if r.get("litigation_common") == "yes" else 1.0 for r in rows])
    return codes, weights / weights.sum()


def _day(offset: int) -> str:
    return (AS_OF + dt.timedelta(days=int(offset))).isoformat()


class _Gen:
    def __init__(self, n_requests: int, n_experts: int, seed: int,
                 dist: Distribution = DISTRIBUTIONS["current"]):
        self.rng = np.random.default_rng(seed)
        self.dist = dist
        self.cities = _cities()
        self.by_jur: dict[str, list[dict]] = {}
        for c in self.cities:
            self.by_jur.setdefault(c["jurisdiction"], []).append(c)
        self.codes, self.code_p = _fields()
        # Experts seldom cover every third subclass, while requests still ask for them.
        weights = self.code_p * np.where(np.arange(len(self.codes)) % 3 == 2,
                                         dist.scarce_weight, 1.0)
        self.expert_code_p = weights / weights.sum()
        self.n_orgs = max(8, n_experts // 4)
        self.n_req, self.n_exp = n_requests, n_experts

    def org(self) -> str:
        return f"ORG{int(self.rng.integers(self.n_orgs)):05d}"

    def dominant(self, share: float) -> dict | None:
        """The dominant city with probability `share` (no draw when there is none)."""
        if self.dist.dominant_city is None or self.rng.random() >= share:
            return None
        return next(c for c in self.cities if c["code"] == self.dist.dominant_city)

    def city_in(self, region: list[str]) -> dict:
        # Shanghai, Guangdong and Jiangsu carry more of the caseload and of the experts.
        weights = np.array([{"SH": 3, "JS": 3, "ZJ": 2, "AH": 1, "GD": 4, "HK": 1, "MO": 0.3}[j]
                            for j in region])
        jur = region[self.rng.choice(len(region), p=weights / weights.sum())]
        options = self.by_jur[jur]
        return options[int(self.rng.integers(len(options)))]

    def expert_fields(self) -> dict:
        rng, out = self.rng, {}
        for _ in range(int(rng.choice(list(self.dist.expert_field_counts)))):
            code = str(rng.choice(self.codes, p=self.expert_code_p))
            if rng.random() < 0.12:
                code = code[:3]  # a broader class-level specialty
            out[code] = int(rng.choice([1, 2, 3], p=[0.3, 0.45, 0.25]))
        return out

    def expert(self, k: int) -> dict:
        rng = self.rng
        city = self.dominant(self.dist.dominant_experts)
        gba = city["jurisdiction"] in GBA if city else rng.random() < 0.3
        city = city or self.city_in(GBA if gba else YRD)
        if gba:
            roles = ["arbitrator"] if rng.random() < 0.8 else ["arbitrator", "investigator"]
        else:
            roles = ["investigator"] if rng.random() < 0.85 else ["investigator", "arbitrator"]
        if rng.random() < 0.1:
            roles.append("consultant")
        languages = ["zh"] + (["en"] if rng.random() < 0.25 else [])
        if gba and rng.random() < 0.7:
            languages.append("yue")
        orgs = [{"org": self.org(), "until": None}]
        if rng.random() < 0.4:
            orgs.append({"org": self.org(), "until": _day(-int(rng.integers(30, 2500)))})
        expert = {
            "id": f"E{k:05d}", "name": f"Expert {k}", "roles": roles, "city": city["code"],
            "jurisdiction": city["jurisdiction"], "fields": self.expert_fields(),
            "languages": languages, "max_concurrent": int(rng.integers(3, 8)),
            "current_load": int(rng.choice([0, 0, 1, 1, 2])),
            "max_travel_km": None if rng.random() < 0.3 else int(rng.choice([150, 300, 500, 800])),
            "organizations": orgs,
            "conflicts": [self.org() for _ in range(int(rng.random() < 0.15))],
            "appointed_from": _day(-int(rng.integers(1, 2000))),
            "appointed_until": _day(int(rng.integers(30, 400))) if rng.random() < 0.2 else None,
        }
        if rng.random() < 0.2:
            s = int(rng.integers(0, HORIZON_DAYS))
            expert["unavailable"] = [{"start": _day(s), "end": _day(s + int(rng.integers(3, 15)))}]
        if rng.random() < 0.25:
            s = int(rng.integers(0, HORIZON_DAYS))
            expert["busy"] = [{"start": _day(s), "end": _day(s + int(rng.integers(0, 3)))}]
        return expert

    def request(self, k: int) -> dict:
        rng = self.rng
        arbitration = rng.random() < self.dist.arbitration_share
        city = self.dominant(self.dist.dominant_requests) or self.city_in(
            GBA if arbitration else YRD)
        written = rng.random() < 0.35
        fields = [str(rng.choice(self.codes, p=self.code_p))]
        if rng.random() < 0.3:
            fields.append(str(rng.choice(self.codes, p=self.code_p)))
        days = []
        if not written:
            s = int(rng.integers(7, HORIZON_DAYS))
            span = int(rng.choice(list(self.dist.day_spans)))
            days.append({"start": _day(s), "end": _day(s + span)})
        language = None
        if rng.random() < 0.2:
            language = str(rng.choice(["zh", "en", "yue"] if arbitration else ["zh", "en"]))
        kind = "arbitration" if arbitration else ("written opinion" if written else "inspection")
        return {
            "id": f"R{k:05d}", "case": f"({2025}){'粤' if arbitration else '沪'}73知民初{k}号",
            "kind": kind, "role": "arbitrator" if arbitration else "investigator",
            "seats": 3 if arbitration and rng.random() < self.dist.panel_share else 1,
            "city": city["code"], "jurisdiction": city["jurisdiction"], "fields": fields,
            "language": language, "days": days,
            "remote": bool(written and rng.random() < 0.5) or bool(rng.random() < 0.05),
            "priority": int(rng.choice([1, 2, 3, 4, 5], p=[0.1, 0.2, 0.4, 0.2, 0.1])),
            "parties": [self.org() for _ in range(int(rng.integers(2, 4)))],
            "excluded": [f"E{int(rng.integers(self.n_exp)):05d}"] if rng.random() < 0.05 else [],
        }


def generate(n_requests: int, n_experts: int, seed: int = 0, history: bool = False,
             distribution: str = "current") -> dict:
    """Build a dispatch-problem/1 document; with `history`, add pinned and previous pairs.

    `distribution` names an entry of DISTRIBUTIONS; "current" (the default) is the original
    generator, draw for draw.
    """
    dist = DISTRIBUTIONS[distribution]
    gen = _Gen(n_requests, n_experts, seed, dist)
    doc = {
        "format": "dispatch-problem/1",
        "as_of": AS_OF.isoformat(),
        "cities": [{k: c[k] for k in ("code", "name_zh", "name_en", "lat", "lon")}
                   for c in gen.cities],
        "recognition_groups": [YRD, GBA],
        "experts": [gen.expert(k) for k in range(n_experts)],
        "requests": [gen.request(k) for k in range(n_requests)],
        "pinned": [],
        "previous": [],
        "settings": {"cooling_off_days": COOLING_OFF_DAYS, "time_limit_s": 10},
    }
    if dist.ipc_depth == "subgroup":
        _deepen_codes(doc, seed)
    if history:
        add_history(doc, seed)
    return doc


@functools.cache
def _groups(subclass: str) -> dict[int, list[int]]:
    """A fixed made-up catalogue of main groups -> subgroups for one subclass.

    Groups are two digits and subgroups three, so no code is a string prefix of another
    code at the same depth (G06F1 vs G06F16 cannot arise): a match means the same branch.
    """
    rng = np.random.default_rng(zlib.crc32(subclass.encode()))
    groups = sorted(rng.choice(np.arange(10, 100), size=int(rng.integers(4, 9)), replace=False))
    return {int(g): sorted(int(s) for s in rng.choice(np.arange(100, 1000),
                                                      size=int(rng.integers(3, 7)),
                                                      replace=False))
            for g in groups}


def _deeper(rng, code: str, to_subgroup: float) -> str:
    """`code` refined to a main group (G06F16) or, with `to_subgroup`, a subgroup (G06F16/245)."""
    catalogue = _groups(code)
    weights = 1.0 / np.arange(1, len(catalogue) + 1)  # the first groups come up more often
    group = list(catalogue)[int(rng.choice(len(catalogue), p=weights / weights.sum()))]
    if rng.random() >= to_subgroup:
        return f"{code}{group}"
    return f"{code}{group}/{int(rng.choice(catalogue[group]))}"


def _deepen_codes(doc: dict, seed: int) -> None:
    """Refine subclass codes as case files and CVs give them, with a separate generator.

    Requests carry subgroups (90%) or main groups; experts keep the subclass (25%), or name
    a main group (45%) or a subgroup (30%). Class-level codes (G06) stay. So some pairs
    match at subclass or group level only, and pairs in the same subclass may not match.
    """
    rng = np.random.default_rng(seed + 7919)
    for e in doc["experts"]:
        fields = {}
        for code, prof in e["fields"].items():
            keep = len(code) < 4 or rng.random() < 0.25
            fields.setdefault(code if keep else _deeper(rng, code, 0.4), prof)
        e["fields"] = fields
    for r in doc["requests"]:
        r["fields"] = [code if len(code) < 4 else _deeper(rng, code, 0.9)
                       for code in r["fields"]]


def add_history(doc: dict, seed: int = 0) -> None:
    """Pin a few pairs of a hand-dispatched plan and mark the rest of it as previous."""
    from scheduler.baseline import baseline_plan
    from scheduler.reading import load_problem

    rng = np.random.default_rng(seed + 1)
    plan = baseline_plan(load_problem(doc))
    for a in plan.assignments:
        pair = {"request": a.request, "expert": a.expert}
        (doc["pinned"] if rng.random() < 0.05 else doc["previous"]).append(pair)
