"""The faster eligibility (issue 10) keeps its output: the same pairs, fits, distances and
per-rule counts as the implementation it replaced.

The digests below were recorded with the replaced implementation (dense blocks over every
expert of the role, Python conflict keys) before it was changed; every digest covers the
pairs, fits, km rounded to 0.01 and the `counts` matrix. The generated problems have no
institution rosters, waivers or full experts, so `spiced` adds them (rules 4, 6 and 9)
together with second hearing days and overlapping busy days.
"""

import datetime
import hashlib
import random

import numpy as np
import pytest

from scheduler import eligibility, index, load_problem
from scheduler.eligibility import COLUMN, eligible_pairs
from scheduler.generate import generate

INSTITUTIONS = ["SHIAC", "SCIA", "CIETAC"]


def digest(el) -> str:
    h = hashlib.sha256()
    for a in (el.req.astype(np.int64), el.exp.astype(np.int64), el.fit.astype(np.int64),
              np.round(el.km.astype(np.float64), 2), el.counts.astype(np.int64)):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def later(day: str, n: int) -> str:
    return (datetime.date.fromisoformat(day) + datetime.timedelta(days=n)).isoformat()


def spiced(doc: dict, seed: int) -> dict:
    """Add what the generator never draws: rosters, waivers, full experts, split days."""
    rng = random.Random(seed)
    doc["pinned"] = []  # pins drawn by the generator may break the added rosters
    for e in doc["experts"]:
        if rng.random() < 0.3:
            e["panels"] = [{"institution": rng.choice(INSTITUTIONS),
                            "from": rng.choice([None, "2024-06-01", "2025-05-01"]),
                            "until": rng.choice([None, "2025-07-01", "2026-01-01"])}]
        if rng.random() < 0.05:
            e["current_load"] = e["max_concurrent"]
        if e.get("busy") and rng.random() < 0.5:  # a second range, after a gap
            day = later(e["busy"][0]["end"], rng.randint(2, 20))
            e["busy"].append({"start": day, "end": later(day, rng.randint(0, 3))})
    conflicted: dict[str, list[str]] = {}
    for e in doc["experts"]:
        for org in e["conflicts"] + [o["org"] for o in e["organizations"]]:
            conflicted.setdefault(org, []).append(e["id"])
    for r in doc["requests"]:
        if r["role"] == "arbitrator" and rng.random() < 0.3:
            r["institution"] = rng.choice(INSTITUTIONS)
        party = rng.choice(r["parties"])
        if party in conflicted and rng.random() < 0.3:
            r["waivers"] = [{"expert": rng.choice(conflicted[party]), "orgs": [party]}]
        if r["days"] and rng.random() < 0.2:
            day = later(r["days"][0]["end"], rng.randint(2, 30))
            r["days"].append({"start": day, "end": later(day, rng.randint(0, 2))})
    return doc


CASES = {
    # (requests, experts, seed, distribution, history, spiced): digest, eligible pairs
    (300, 150, 1, "current", False, False): ("f2ee409f63925add", 2469),
    (2000, 800, 2, "skewed", False, False): ("6bb3d0db4c4463c0", 43592),
    (2000, 800, 3, "subgroup", False, False): ("f39b7f5557d92002", 54095),
    (1500, 600, 4, "current", True, False): ("ef6f73c7291acb23", 51456),
    (1200, 500, 5, "skewed", True, False): ("f419e96f585a26a3", 15568),
    (300, 150, 11, "current", False, True): ("70ef9c955f6876a5", 2256),
    (2000, 800, 12, "skewed", True, True): ("4e95a2e44f94536e", 35357),
    (1500, 700, 13, "subgroup", False, True): ("80973f692231f1a4", 34864),
}
# The block layouts: the default; every field set in blocks of its own, in blocks of a few
# thousand cells (the later checks a few thousand pairs at a time, the survivors' buffer
# growing); no field set on its own (every block spans all experts of the role).
LAYOUTS = {"default": {}, "per-field-set": {"_GROUP_SAVING": 0, "BLOCK_CELLS": 3000,
                                            "_PAIR_CHUNK": 2000, "_BUFFER_START": 1000},
           "shared": {"_GROUP_SAVING": 10**18}}


def problem_of(n_req, n_exp, seed, distribution, history, spice):
    doc = generate(n_req, n_exp, seed=seed, history=history, distribution=distribution)
    return load_problem(spiced(doc, seed) if spice else doc)


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("case", list(CASES), ids=lambda c: "-".join(map(str, c)))
def test_eligibility_matches_the_recorded_output(case, layout, monkeypatch):
    for name, value in LAYOUTS[layout].items():
        for module in (eligibility, index):  # the block size bounds both modules' blocks
            if hasattr(module, name):
                monkeypatch.setattr(module, name, value)
    el = eligible_pairs(problem_of(*case))
    assert (digest(el), len(el)) == CASES[case]


def test_pairs_are_sorted_and_counts_account_for_every_expert():
    problem = problem_of(800, 400, 7, "skewed", False, True)
    el = eligible_pairs(problem)
    keys = el.req.astype(np.int64) * len(problem.experts) + el.exp
    assert np.all(np.diff(keys) > 0)
    kept = np.bincount(el.req, minlength=len(problem.requests))
    assert np.array_equal(el.counts.sum(axis=1) + kept,
                          np.full(len(problem.requests), len(problem.experts)))
    for key in ("jurisdiction", "conflict_of_interest", "double_booking", "workload"):
        assert el.counts[:, COLUMN[key]].sum() > 0, key
