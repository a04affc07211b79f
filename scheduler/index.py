"""The problem as numpy arrays (Index), and what the pair rules look up in them: city
distances, each expert's travel reach, the organisations it may not judge, and the best
fit of every (field set, expert), found through an index of IPC codes (issue 10)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scheduler.domain import CodeIndex, great_circle_km, great_circle_matrix
from scheduler.problem import ROLES, Expert, Problem

BLOCK_CELLS = 4_000_000  # cells of a (rows x experts) block, at most: bounds memory


@dataclass
class Index:
    """The problem as numpy arrays, indexed by request position r and expert position e."""

    req_role: np.ndarray
    req_prio: np.ndarray
    req_seats: np.ndarray
    req_city: np.ndarray
    req_jur: np.ndarray
    req_remote: np.ndarray
    req_first: np.ndarray
    req_last: np.ndarray
    req_field_set: np.ndarray
    field_sets: list
    int_ptr: np.ndarray  # request r's day intervals are int_start/end[int_ptr[r]:int_ptr[r+1]]
    int_start: np.ndarray
    int_end: np.ndarray
    exp_roles: np.ndarray
    exp_city: np.ndarray
    exp_jur: np.ndarray
    exp_from: np.ndarray
    exp_until: np.ndarray
    exp_max_km: np.ndarray
    exp_cap: np.ndarray
    city_km: np.ndarray
    exp_reach: np.ndarray  # expert's (city, max_travel_km) class, a column of travel_ok
    travel_ok: np.ndarray  # (request city, reach class): within the expert's max_travel_km
    jur_ok: np.ndarray  # (role, request jurisdiction, expert jurisdiction)
    req_inst: np.ndarray  # institution whose roster decides rule 4, -1 for none
    pan_exp: np.ndarray  # panel memberships: expert, institution, first and last day
    pan_inst: np.ndarray
    pan_from: np.ndarray
    pan_until: np.ndarray

    @property
    def n_req(self) -> int:
        return len(self.req_role)

    @property
    def n_exp(self) -> int:
        return len(self.exp_roles)


_SCALAR_DISTANCES = 250_000  # up to this many city pairs, distances use libm like verify


def conflicted_orgs(problem: Problem, expert: Expert) -> set[str]:
    """Rule 6: orgs an expert may not judge (declared, or affiliated within cooling-off),
    before any waiver of a request."""
    cutoff = problem.as_of - problem.settings.cooling_off_days
    orgs = set(expert.conflicts)
    orgs.update(a.org for a in expert.organizations if a.until is None or a.until >= cutoff)
    return orgs


def city_distances(problem: Problem) -> np.ndarray:
    """Great-circle km between city centres (earth radius 6371), float64.

    Rule 5 compares these with max_travel_km in float64. With up to 250,000 city pairs
    each distance is computed with the scalar libm formula, bit for bit what a scalar
    check of the contract's formula gets; beyond that numpy's vectorised functions may
    differ in the last bit (1e-13 km).
    """
    cs = problem.cities
    n = len(cs)
    if n * n > _SCALAR_DISTANCES:
        return great_circle_matrix([c.lat for c in cs], [c.lon for c in cs])
    out = np.zeros((n, n), dtype=np.float64)
    for i, a in enumerate(cs):
        for j, b in enumerate(cs):
            out[i, j] = great_circle_km(a.lat, a.lon, b.lat, b.lon)
    return out


def build_index(problem: Problem) -> Index:
    """Turn the problem's dataclasses into the arrays the vectorised rules need."""
    big = 2**30
    cities = {c.code: k for k, c in enumerate(problem.cities)}
    city_km = city_distances(problem)
    jurs = sorted({e.jurisdiction for e in problem.experts}
                  | {r.jurisdiction for r in problem.requests})
    jur_id = {j: k for k, j in enumerate(jurs)}
    jur_ok = np.array([[[problem.recognised(a, b, role) for b in jurs] for a in jurs]
                       for role in ROLES], dtype=bool).reshape(len(ROLES), len(jurs), len(jurs))
    institutions = sorted({r.institution for r in problem.requests if r.by_panel})
    inst_id = {x: k for k, x in enumerate(institutions)}
    panels = [(e, inst_id[p.institution], -big if p.start is None else p.start,
               big if p.until is None else p.until)
              for e, x in enumerate(problem.experts) for p in x.panels
              if p.institution in inst_id]
    pan = np.array(panels, dtype=np.int64).reshape(len(panels), 4)
    reqs, exps = problem.requests, problem.experts
    field_sets: dict[tuple, int] = {}
    req_field_set = np.array([field_sets.setdefault(tuple(sorted(set(r.fields))), len(field_sets))
                              for r in reqs], dtype=np.int32)
    firsts, lasts = zip(*(problem.days_of(r) for r in reqs), strict=True) if reqs else ((), ())
    counts = [len(r.days) for r in reqs]
    exp_city = np.array([cities[e.city] for e in exps], dtype=np.int32)
    exp_max_km = np.array([np.inf if e.max_travel_km is None else e.max_travel_km for e in exps],
                          dtype=np.float64)
    exp_reach, travel_ok = _reach_classes(city_km, exp_city, exp_max_km)
    int_ptr = np.zeros(len(reqs) + 1, dtype=np.int64)
    int_ptr[1:] = np.cumsum(counts)
    return Index(
        req_role=np.array([ROLES.index(r.role) for r in reqs], dtype=np.int8),
        req_prio=np.array([r.priority for r in reqs], dtype=np.int64),
        req_seats=np.array([r.seats for r in reqs], dtype=np.int64),
        req_city=np.array([cities[r.city] for r in reqs], dtype=np.int32),
        req_jur=np.array([jur_id[r.jurisdiction] for r in reqs], dtype=np.int32),
        req_remote=np.array([r.remote for r in reqs], dtype=bool),
        req_first=np.array(firsts, dtype=np.int32),
        req_last=np.array(lasts, dtype=np.int32),
        req_field_set=req_field_set,
        field_sets=list(field_sets),
        int_ptr=int_ptr,
        int_start=np.array([d.start for r in reqs for d in r.days], dtype=np.int64),
        int_end=np.array([d.end for r in reqs for d in r.days], dtype=np.int64),
        exp_roles=np.array([sum(1 << ROLES.index(x) for x in e.roles) for e in exps],
                           dtype=np.int8),
        exp_city=exp_city,
        exp_jur=np.array([jur_id[e.jurisdiction] for e in exps], dtype=np.int32),
        exp_from=np.array([-big if e.appointed_from is None else e.appointed_from for e in exps],
                          dtype=np.int32),
        exp_until=np.array([big if e.appointed_until is None else e.appointed_until for e in exps],
                           dtype=np.int32),
        exp_max_km=exp_max_km,
        exp_cap=np.array([max(0, e.max_concurrent - e.current_load) for e in exps], dtype=np.int64),
        city_km=city_km,
        exp_reach=exp_reach,
        travel_ok=travel_ok,
        jur_ok=jur_ok,
        req_inst=np.array([inst_id[r.institution] if r.by_panel else -1 for r in reqs],
                          dtype=np.int64),
        pan_exp=pan[:, 0], pan_inst=pan[:, 1], pan_from=pan[:, 2], pan_until=pan[:, 3],
    )


def _reach_classes(city_km: np.ndarray, exp_city: np.ndarray,
                   exp_max_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rule 5 once per (request city, expert city, max_travel_km): experts share few cities
    and limits. Return each expert's class and the (city, class) table of km <= limit."""
    limits, limit_of = np.unique(exp_max_km, return_inverse=True)
    reach, exp_reach = np.unique(exp_city.astype(np.int64) * len(limits) + limit_of.reshape(-1),
                                 return_inverse=True)
    travel_ok = city_km[:, reach // len(limits)] <= limits[reach % len(limits)][None, :]
    return exp_reach.reshape(-1).astype(np.int32), travel_ok


def fit_by_field_set(problem: Problem, idx: Index) -> np.ndarray:
    """Best matching proficiency (0 = no match) for every (field set, expert).

    Indexed, never compared code by code: each distinct wanted code looks up the expert
    codes it matches (domain.CodeIndex), then numpy spreads each (field set, matching code)
    over the experts holding that code. The cost follows the number of codes and matches,
    not how deep the codes are.
    """
    index = CodeIndex(c for e in problem.experts for c, _ in e.fields)
    held = np.array(sorted((index.ids[c], k, p) for k, e in enumerate(problem.experts)
                           for c, p in e.fields), dtype=np.int64).reshape(-1, 3)
    code_ptr = np.searchsorted(held[:, 0], np.arange(len(index.codes) + 1))
    u, c = _matching_codes(index, idx.field_sets)
    out = np.zeros((len(idx.field_sets), idx.n_exp), dtype=np.int8)
    # In blocks of about BLOCK_CELLS (field set, expert) cells, to bound memory.
    ends = np.cumsum(code_ptr[c + 1] - code_ptr[c])
    total = int(ends[-1]) if len(ends) else 0
    cuts = np.searchsorted(ends, np.arange(BLOCK_CELLS, total, BLOCK_CELLS), side="right")
    edges = np.unique(np.r_[0, cuts, len(c)])
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        row, k = spans(code_ptr[c[lo:hi]], code_ptr[c[lo:hi] + 1])
        # On the flat view: numpy's 1-d ufunc.at is several times faster than the 2-d one.
        np.maximum.at(out.reshape(-1), u[lo:hi][row] * idx.n_exp + held[k, 1],
                      held[k, 2].astype(np.int8))
    return out


def _matching_codes(index: CodeIndex, field_sets: list) -> tuple[np.ndarray, np.ndarray]:
    """Every (field set, expert code id) where the code matches a code of the set."""
    wanted = sorted({w for ws in field_sets for w in ws})
    wanted_id = {w: k for k, w in enumerate(wanted)}
    matched = [index.matching(w) for w in wanted]
    ptr = np.zeros(len(wanted) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(m) for m in matched])
    ids = np.array([c for m in matched for c in m], dtype=np.int64)
    set_of = np.array([u for u, ws in enumerate(field_sets) for _ in ws], dtype=np.int64)
    code_of = np.array([wanted_id[w] for ws in field_sets for w in ws], dtype=np.int64)
    row, k = spans(ptr[code_of], ptr[code_of + 1])
    return set_of[row], ids[k]


def spans(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every position of the spans [start, end), with the span (row) it belongs to."""
    n = end - start
    row = np.repeat(np.arange(len(n)), n)
    return row, start[row] + np.arange(len(row)) - (np.cumsum(n) - n)[row]
