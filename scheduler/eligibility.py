"""Eligible (request, expert) pairs under rules 1-7 and 11, vectorised with numpy.

Rules are named by their keys in scheduler/rules.py; `counts` has one column per key of
RULE_KEYS.

Besides the static rules, pairs that can never be used are dropped here too: a
request whose days hit the expert's `busy` days (rule 8) and experts with no
capacity left (rule 9). For every request we count, in rule order, how many
experts each rule removed: the first rule that removes an expert gets it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scheduler import rules
from scheduler.clock import NEVER, Stop
from scheduler.domain import CodeIndex, great_circle_km, great_circle_matrix
from scheduler.problem import ROLES, Expert, Problem

# The rules judged per pair here, in the order they claim an expert (rule numbers).
PAIR_RULES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 11)
RULE_KEYS = tuple(rules.BY_NUMBER[n].key for n in PAIR_RULES)
COLUMN = {key: k for k, key in enumerate(RULE_KEYS)}  # counts[:, COLUMN["travel"]]
_DAY_KEY = 10_000_000  # larger than any date ordinal
_BLOCK_CELLS = 4_000_000


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


@dataclass
class Eligibility:
    """Eligible pairs sorted by (request, expert), with fit and distance per pair."""

    req: np.ndarray
    exp: np.ndarray
    fit: np.ndarray
    km: np.ndarray  # travel distance, 0 for remote requests
    counts: np.ndarray  # (n_req, len(RULE_KEYS)) experts removed per rule
    index: Index

    def __len__(self) -> int:
        return len(self.req)


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
        exp_city=np.array([cities[e.city] for e in exps], dtype=np.int32),
        exp_jur=np.array([jur_id[e.jurisdiction] for e in exps], dtype=np.int32),
        exp_from=np.array([-big if e.appointed_from is None else e.appointed_from for e in exps],
                          dtype=np.int32),
        exp_until=np.array([big if e.appointed_until is None else e.appointed_until for e in exps],
                           dtype=np.int32),
        exp_max_km=np.array([np.inf if e.max_travel_km is None else e.max_travel_km for e in exps],
                            dtype=np.float64),
        exp_cap=np.array([max(0, e.max_concurrent - e.current_load) for e in exps], dtype=np.int64),
        city_km=city_km,
        jur_ok=jur_ok,
        req_inst=np.array([inst_id[r.institution] if r.by_panel else -1 for r in reqs],
                          dtype=np.int64),
        pan_exp=pan[:, 0], pan_inst=pan[:, 1], pan_from=pan[:, 2], pan_until=pan[:, 3],
    )


def _fit_by_field_set(problem: Problem, idx: Index) -> np.ndarray:
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
    # In blocks of about _BLOCK_CELLS (field set, expert) cells, to bound memory.
    ends = np.cumsum(code_ptr[c + 1] - code_ptr[c])
    total = int(ends[-1]) if len(ends) else 0
    cuts = np.searchsorted(ends, np.arange(_BLOCK_CELLS, total, _BLOCK_CELLS), side="right")
    edges = np.unique(np.r_[0, cuts, len(c)])
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        row, k = _spans(code_ptr[c[lo:hi]], code_ptr[c[lo:hi] + 1])
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
    row, k = _spans(ptr[code_of], ptr[code_of + 1])
    return set_of[row], ids[k]


def _spans(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every position of the spans [start, end), with the span (row) it belongs to."""
    n = end - start
    row = np.repeat(np.arange(len(n)), n)
    return row, start[row] + np.arange(len(row)) - (np.cumsum(n) - n)[row]


def _recognised(idx: Index, role: int, rs: np.ndarray, es: np.ndarray) -> np.ndarray:
    """Rule 4 on a block: same jurisdiction or a group covering the role; for a request
    naming an institution, a place on its roster covering the request's days instead."""
    ok = idx.jur_ok[role][idx.req_jur[rs]][:, idx.exp_jur[es]]
    rows = np.flatnonzero(idx.req_inst[rs] >= 0)
    if len(rows) == 0:
        return ok
    ok[rows] = False
    r = rs[rows]
    covers = ((idx.pan_inst[None, :] == idx.req_inst[r][:, None])
              & (idx.pan_from[None, :] <= idx.req_first[r][:, None])
              & (idx.pan_until[None, :] >= idx.req_last[r][:, None]))
    position = np.full(idx.n_exp, -1, dtype=np.int64)
    position[es] = np.arange(len(es))
    row, member = np.nonzero(covers)
    column = position[idx.pan_exp[member]]
    inside = column >= 0
    ok[rows[row[inside]], column[inside]] = True
    return ok


def _dense_rules(idx: Index, fit_u: np.ndarray, role: int, rs: np.ndarray, es: np.ndarray,
                 counts):
    """Rules 2-5 on a block of requests x experts; return the surviving cells."""
    alive = (idx.exp_from[es][None, :] <= idx.req_first[rs][:, None])
    alive &= idx.exp_until[es][None, :] >= idx.req_last[rs][:, None]
    counts[rs, COLUMN["appointment"]] += len(es) - alive.sum(axis=1)
    fit = fit_u[idx.req_field_set[rs]][:, es]
    before = alive.sum(axis=1)
    alive &= fit > 0
    after = alive.sum(axis=1)
    counts[rs, COLUMN["expertise"]] += before - after
    alive &= _recognised(idx, role, rs, es)
    before, after = after, alive.sum(axis=1)
    counts[rs, COLUMN["jurisdiction"]] += before - after
    km = idx.city_km[idx.req_city[rs]][:, idx.exp_city[es]]
    alive &= idx.req_remote[rs][:, None] | (km <= idx.exp_max_km[es][None, :])
    counts[rs, COLUMN["travel"]] += after - alive.sum(axis=1)
    br, be = np.nonzero(alive)
    return (rs[br].astype(np.int32), es[be].astype(np.int32), fit[br, be],
            km[br, be].astype(np.float32))


def _merged_intervals(per_expert: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge each expert's intervals; return (expert, start, end) sorted by expert then day."""
    out_e, out_s, out_t = [], [], []
    for e, intervals in enumerate(per_expert):
        last = None
        for iv in sorted(intervals, key=lambda i: i.start):
            if last is not None and iv.start <= out_t[-1] + 1:
                out_t[-1] = max(out_t[-1], iv.end)
                continue
            out_e.append(e)
            out_s.append(iv.start)
            out_t.append(iv.end)
            last = iv
    return (np.array(out_e, dtype=np.int64), np.array(out_s, dtype=np.int64),
            np.array(out_t, dtype=np.int64))


def days_hit(idx: Index, req: np.ndarray, exp: np.ndarray, blocked) -> np.ndarray:
    """For each pair, whether a day of the request falls in the expert's blocked intervals."""
    hit = np.zeros(len(req), dtype=bool)
    b_e, b_s, b_t = blocked
    if len(b_e) == 0 or len(req) == 0:
        return hit
    has_block = np.zeros(len(idx.exp_roles), dtype=bool)
    has_block[b_e] = True
    cand = np.flatnonzero(has_block[exp] & (idx.int_ptr[req + 1] > idx.int_ptr[req]))
    if len(cand) == 0:
        return hit
    req, exp = req[cand], exp[cand]
    n_int = idx.int_ptr[req + 1] - idx.int_ptr[req]
    pair_of = np.repeat(np.arange(len(req)), n_int)
    if len(pair_of) == 0:
        return hit
    offset = np.arange(len(pair_of)) - np.repeat(np.cumsum(n_int) - n_int, n_int)
    iv = idx.int_ptr[req][pair_of] + offset
    a, b, e = idx.int_start[iv], idx.int_end[iv], exp[pair_of].astype(np.int64)
    ends = b_e * _DAY_KEY + b_t
    k = np.searchsorted(ends, e * _DAY_KEY + a, side="left")
    ok = k < len(ends)
    k = np.minimum(k, len(ends) - 1)
    overlap = ok & (b_e[k] == e) & (b_s[k] <= b)
    hit[cand[pair_of[overlap]]] = True
    return hit


def _conflict_keys(problem: Problem, n_exp: int) -> np.ndarray:
    by_org: dict[str, list[int]] = {}
    for e, expert in enumerate(problem.experts):
        for org in conflicted_orgs(problem, expert):
            by_org.setdefault(org, []).append(e)
    exp_id = {x.id: k for k, x in enumerate(problem.experts)}
    keys = []
    for r, req in enumerate(problem.requests):
        waived = {exp_id[x]: req.waived_for(x) for x, _ in req.waivers}
        for org in req.parties:
            keys.extend(r * n_exp + e for e in by_org.get(org, ())
                        if org not in waived.get(e, ()))
        keys.extend(r * n_exp + exp_id[x] for x in req.excluded if x in exp_id)
    return np.unique(np.array(keys, dtype=np.int64))


def eligible_pairs(problem: Problem, idx: Index | None = None,
                   stop: Stop = NEVER) -> Eligibility:
    """Compute every pair that passes rules 1-7, 11, busy days and spare capacity.

    A stop request is honoured between blocks (seconds at 20,000 x 5,000).
    """
    idx = idx or build_index(problem)
    n_req, n_exp = idx.n_req, idx.n_exp
    counts = np.zeros((n_req, len(RULE_KEYS)), dtype=np.int64)
    fit_u = _fit_by_field_set(problem, idx)
    parts = []
    for role in range(len(ROLES)):
        rs_all = np.flatnonzero(idx.req_role == role)
        es = np.flatnonzero(idx.exp_roles & (1 << role)).astype(np.int64)
        counts[rs_all, COLUMN["role"]] = n_exp - len(es)
        if len(es) == 0 or len(rs_all) == 0:
            continue
        step = max(1, _BLOCK_CELLS // len(es))
        for lo in range(0, len(rs_all), step):
            stop.check()
            parts.append(_dense_rules(idx, fit_u, role, rs_all[lo:lo + step], es, counts))
    if parts:
        req, exp, fit, km = (np.concatenate(x) for x in zip(*parts, strict=True))
        del parts
        order = _group_by_request(req, n_req)
        req, exp, fit, km = req[order], exp[order], fit[order], km[order]
    else:
        req = exp = np.zeros(0, dtype=np.int32)
        fit, km = np.zeros(0, dtype=np.int8), np.zeros(0, dtype=np.float32)
    keep = np.ones(len(req), dtype=bool)

    def drop(key: str, bad: np.ndarray) -> None:
        bad &= keep
        counts[:, COLUMN[key]] += np.bincount(req[bad], minlength=n_req)
        keep[bad] = False

    conflict = _conflict_keys(problem, n_exp)
    if len(conflict):
        keys = req.astype(np.int64) * n_exp + exp
        k = np.minimum(np.searchsorted(conflict, keys), len(conflict) - 1)
        drop("conflict_of_interest", conflict[k] == keys)
        del keys, k
    drop("availability", days_hit(idx, req, exp,
                                  _merged_intervals([e.unavailable for e in problem.experts])))
    drop("double_booking", days_hit(idx, req, exp,
                                    _merged_intervals([e.busy for e in problem.experts])))
    drop("workload", idx.exp_cap[exp] <= 0)
    drop("language", ~_language_ok(problem, req, exp))
    req, exp, fit, km = req[keep], exp[keep], fit[keep], km[keep]
    km[idx.req_remote[req]] = 0.0
    return Eligibility(req, exp, fit, km, counts, idx)


def _group_by_request(req: np.ndarray, n_req: int) -> np.ndarray:
    """Order pairs by request; each request's pairs already form one sorted run."""
    n = np.bincount(req, minlength=n_req)
    if len(req) == 0:
        return np.zeros(0, dtype=np.int64)
    run_starts = np.flatnonzero(np.r_[True, req[1:] != req[:-1]])
    old_start = np.zeros(n_req, dtype=np.int64)
    old_start[req[run_starts]] = run_starts
    new_start = np.cumsum(n) - n
    return np.arange(len(req), dtype=np.int64) + np.repeat(old_start - new_start, n)


def _language_ok(problem: Problem, req: np.ndarray, exp: np.ndarray) -> np.ndarray:
    langs = sorted({x for e in problem.experts for x in e.languages}
                   | {r.language for r in problem.requests if r.language})
    lang_id = {x: k for k, x in enumerate(langs)}
    speaks = np.zeros((len(langs) + 1, len(problem.experts)), dtype=bool)
    speaks[len(langs), :] = True  # row for requests with no language
    for e, expert in enumerate(problem.experts):
        for x in expert.languages:
            speaks[lang_id[x], e] = True
    req_lang = np.array([lang_id[r.language] if r.language else len(langs)
                         for r in problem.requests], dtype=np.int64)
    if len(req) == 0:
        return np.zeros(0, dtype=bool)
    return speaks[req_lang[req], exp]
