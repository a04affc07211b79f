"""Eligible (request, expert) pairs under rules 1-7 and 11, vectorised with numpy.

Rules are named by their keys in scheduler/rules.py; `counts` has one column per key of
RULE_KEYS.

Besides the static rules, pairs that can never be used are dropped here too: a
request whose days hit the expert's `busy` days (rule 8) and experts with no
capacity left (rule 9). For every request we count, in rule order, how many
experts each rule removed: the first rule that removes an expert gets it.

How it stays cheap (issue 10): rules 1 and 2 are counted per distinct (first, last) day
pair; rules 3-5 run on dense blocks whose columns, for a field set with many requests, are
only the experts that fit it (the others are counted, not judged); rule 5 is a table per
(request city, expert city and limit); the surviving cells are written straight to their
place in the (request, expert) order as int32, and the later rules, fit and km run on the
pairs chunk by chunk, so no int64 key or float64 km is held for every pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scheduler import rules
from scheduler.clock import NEVER, Stop
from scheduler.index import (
    BLOCK_CELLS,
    Index,
    build_index,
    conflicted_orgs,
    fit_by_field_set,
    spans,
)
from scheduler.problem import ROLES, Problem

# The rules judged per pair here, in the order they claim an expert (rule numbers).
PAIR_RULES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 11)
RULE_KEYS = tuple(rules.BY_NUMBER[n].key for n in PAIR_RULES)
COLUMN = {key: k for k, key in enumerate(RULE_KEYS)}  # counts[:, COLUMN["travel"]]
_DAY_KEY = 10_000_000  # larger than any date ordinal
PAIR_CHUNK = 1_000_000  # pairs per step where a pair-sized array would be large (model.py too)
_BUFFER_START = 1 << 24  # int32 values first reserved for the blocks' surviving cells
_GROUP_SAVING = 20_000  # cells a field set must save to get blocks of its own (~60 µs)


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


def _dense_rules(idx: Index, fit_u: np.ndarray | None, role: int, rs: np.ndarray,
                 cs: np.ndarray, appointed: np.ndarray, counts) -> tuple:
    """Rules 2-5 on a block of requests rs x experts cs; return the surviving cells as
    (rows, experts kept per row, their experts row by row).

    The columns cs are the experts that may fit: experts left out of the block have fit 0
    for every row, so `appointed` (experts of the role passing rule 2, per request)
    attributes them to rule 2 or 3. Without `fit_u` every column fits every row.
    """
    alive = idx.exp_from[cs][None, :] <= idx.req_first[rs][:, None]
    alive &= idx.exp_until[cs][None, :] >= idx.req_last[rs][:, None]
    if fit_u is not None:
        alive &= fit_u[idx.req_field_set[rs]][:, cs] > 0
    before = np.count_nonzero(alive, axis=1)
    counts[rs, COLUMN["expertise"]] += appointed[rs] - before
    alive &= _recognised(idx, role, rs, cs)
    after = np.count_nonzero(alive, axis=1)
    counts[rs, COLUMN["jurisdiction"]] += before - after
    alive &= idx.req_remote[rs][:, None] | idx.travel_ok[idx.req_city[rs]][:, idx.exp_reach[cs]]
    kept = np.count_nonzero(alive, axis=1)
    counts[rs, COLUMN["travel"]] += after - kept
    return rs, kept, np.broadcast_to(cs.astype(np.int32), alive.shape)[alive]


def _appointed(idx: Index, rs: np.ndarray, es: np.ndarray) -> np.ndarray:
    """Rule 2: how many of the experts es are appointed over each request's days.

    Requests share few (first, last) day pairs, so each distinct pair is judged once.
    """
    days, inverse = np.unique(np.stack([idx.req_first[rs], idx.req_last[rs]], axis=1),
                              axis=0, return_inverse=True)
    n = np.zeros(len(days), dtype=np.int64)
    step = max(1, BLOCK_CELLS // max(1, len(es)))
    for lo in range(0, len(days), step):
        first, last = days[lo:lo + step, 0], days[lo:lo + step, 1]
        n[lo:lo + step] = np.count_nonzero(
            (idx.exp_from[es][None, :] <= first[:, None])
            & (idx.exp_until[es][None, :] >= last[:, None]), axis=1)
    return n[inverse.reshape(-1)]


def _blocks(idx: Index, fitting: np.ndarray, rs_all: np.ndarray, es: np.ndarray):
    """Split a role's requests into blocks (rows, columns, fit needed?).

    A field set whose requests are numerous enough gets blocks of its own whose columns are
    only the experts with fit > 0 for it (`fitting`: fit_u > 0); the other requests share
    blocks over all experts of the role, where the fit is looked up cell by cell.
    """
    # Masked in place, not gathered by column (fit_u[:, es] copies every field set's row):
    # 0.3 s -> 0.05 s at 20,000 x 5,000 with subgroup codes (7,354 field sets).
    in_role = np.zeros(idx.n_exp, dtype=bool)
    in_role[es] = True
    fits = fitting & in_role
    n_fit = np.count_nonzero(fits, axis=1)
    sets = idx.req_field_set[rs_all]
    n_req = np.bincount(sets, minlength=len(n_fit))
    alone = n_req * (len(es) - n_fit) >= _GROUP_SAVING
    order = np.argsort(sets, kind="stable")
    ends = np.cumsum(n_req)
    for u in np.flatnonzero(alone & (n_req > 0)):
        rows = rs_all[order[ends[u] - n_req[u]:ends[u]]]
        cs = np.flatnonzero(fits[u])  # the role's experts that fit, in order as es
        step = max(1, BLOCK_CELLS // max(1, len(cs)))
        for lo in range(0, len(rows), step):
            yield rows[lo:lo + step], cs, False
    rest = rs_all[~alone[sets]]
    step = max(1, BLOCK_CELLS // len(es))
    for lo in range(0, len(rest), step):
        yield rest[lo:lo + step], es, True


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
    """For each pair (sorted by request), whether a day of the request falls in the
    expert's blocked intervals."""
    hit = np.zeros(len(req), dtype=bool)
    if len(blocked[0]) == 0:
        return hit
    has_block = np.zeros(len(idx.exp_roles), dtype=bool)
    has_block[blocked[0]] = True
    has_days = np.diff(idx.int_ptr) > 0
    for r0, r1, lo, hi, n in _request_chunks(req, idx.n_req):
        e = exp[lo:hi]
        hit[lo:hi] = _days_hit(idx, req[lo:hi], e, blocked,
                               has_block[e] & np.repeat(has_days[r0:r1], n))
    return hit


def _days_hit(idx: Index, req: np.ndarray, exp: np.ndarray, blocked,
              maybe: np.ndarray) -> np.ndarray:
    """days_hit on one chunk of pairs, looking only at the pairs where `maybe` holds."""
    hit = np.zeros(len(req), dtype=bool)
    b_e, b_s, b_t = blocked
    n_int = np.diff(idx.int_ptr)
    cand = np.flatnonzero(maybe)
    if len(cand) == 0:
        return hit
    req, exp = req[cand], exp[cand]
    n_int = n_int[req]
    pair_of = np.repeat(np.arange(len(req)), n_int)
    if len(pair_of) == 0:
        return hit
    offset = np.arange(len(pair_of)) - np.repeat(np.cumsum(n_int) - n_int, n_int)
    iv = idx.int_ptr[req][pair_of] + offset
    a, b, e = idx.int_start[iv], idx.int_end[iv], exp[pair_of].astype(np.int64)
    # k: the expert's first interval ending on or after day a (none: another expert's or
    # the last). Most experts have one interval; only the others need the binary search.
    n_blocks = np.bincount(b_e, minlength=idx.n_exp)
    k = (np.cumsum(n_blocks) - n_blocks)[e]
    several = np.flatnonzero(n_blocks[e] > 1)
    if len(several):
        ends = b_e * _DAY_KEY + b_t
        k[several] = np.searchsorted(ends, e[several] * _DAY_KEY + a[several], side="left")
    k = np.minimum(k, len(b_e) - 1)
    overlap = (b_e[k] == e) & (b_s[k] <= b) & (b_t[k] >= a)
    hit[cand[pair_of[overlap]]] = True
    return hit


def _conflict_keys(problem: Problem, n_exp: int) -> np.ndarray:
    """Rule 6 as sorted keys r * n_exp + e: the expert is conflicted with a party of the
    request and that party did not waive it, or the request excludes the expert."""
    org_id: dict[str, int] = {}
    held = [(org_id.setdefault(org, len(org_id)), e) for e, expert in enumerate(problem.experts)
            for org in conflicted_orgs(problem, expert)]
    held_org, held_exp = np.array(sorted(held), dtype=np.int64).reshape(-1, 2).T
    ptr = np.searchsorted(held_org, np.arange(len(org_id) + 1))
    exp_id = {x.id: k for k, x in enumerate(problem.experts)}
    n_org = max(1, len(org_id))
    reqs = problem.requests
    asked_r = np.repeat(np.arange(len(reqs), dtype=np.int64), [len(r.parties) for r in reqs])
    asked_org = np.array([org_id.get(org, -1) for r in reqs for org in r.parties],
                         dtype=np.int64)
    asked_r, asked_org = asked_r[asked_org >= 0], asked_org[asked_org >= 0]
    waived = [(r * n_exp + exp_id[x]) * n_org + org_id[org] for r, req in enumerate(reqs)
              if req.waivers for x, orgs in req.waivers for org in orgs if org in org_id]
    excluded = [r * n_exp + exp_id[x] for r, req in enumerate(reqs) if req.excluded
                for x in req.excluded if x in exp_id]
    row, k = spans(ptr[asked_org], ptr[asked_org + 1])
    keys = asked_r[row] * n_exp + held_exp[k]
    if waived:
        keys = keys[~np.isin(keys * n_org + asked_org[row], np.array(waived, dtype=np.int64))]
    keys = np.sort(np.r_[keys, np.array(excluded, dtype=np.int64)])
    # Not np.unique: numpy 2.4's hash-based unique is ten times slower than a sort here.
    return keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys


def eligible_pairs(problem: Problem, idx: Index | None = None,
                   stop: Stop = NEVER) -> Eligibility:
    """Compute every pair that passes rules 1-7, 11, busy days and spare capacity.

    A stop request is honoured between blocks (seconds at 20,000 x 5,000).
    """
    idx = idx or build_index(problem)
    n_req, n_exp = idx.n_req, idx.n_exp
    counts = np.zeros((n_req, len(RULE_KEYS)), dtype=np.int64)
    fit_u = fit_by_field_set(problem, idx)
    # Rules 1-5 in blocks, then rules 6-9 and 11 on the surviving pairs, in rule order.
    req, exp = _block_rules(idx, fit_u, counts, stop)
    keep = np.ones(len(req), dtype=bool)

    def drop(key: str, bad: np.ndarray) -> None:
        bad &= keep
        counts[:, COLUMN[key]] += np.bincount(req[bad], minlength=n_req)
        keep[bad] = False

    drop("conflict_of_interest", _listed(_conflict_keys(problem, n_exp), req, exp, n_exp))
    drop("availability", days_hit(idx, req, exp,
                                  _merged_intervals([e.unavailable for e in problem.experts])))
    drop("double_booking", days_hit(idx, req, exp,
                                    _merged_intervals([e.busy for e in problem.experts])))
    if (idx.exp_cap <= 0).any():
        drop("workload", idx.exp_cap[exp] <= 0)
    drop("language", _language_fails(problem, idx, req, exp))
    req, exp = _compacted(req, keep), _compacted(exp, keep)
    fit, km = _fit_and_km(idx, fit_u, req, exp)
    return Eligibility(req, exp, fit, km, counts, idx)


def _block_rules(idx: Index, fit_u: np.ndarray, counts: np.ndarray,
                 stop: Stop) -> tuple[np.ndarray, np.ndarray]:
    """Rules 1-5 per role: count rules 1 and 2 by distinct days, judge 3-5 in blocks."""
    n_req, n_exp = idx.n_req, idx.n_exp
    parts, buffer = [], _Buffer()
    fitting = fit_u > 0  # once for every role's blocks
    for role in range(len(ROLES)):
        rs_all = np.flatnonzero(idx.req_role == role)
        es = np.flatnonzero(idx.exp_roles & (1 << role)).astype(np.int64)
        counts[rs_all, COLUMN["role"]] = n_exp - len(es)
        if len(es) == 0 or len(rs_all) == 0:
            continue
        appointed = np.zeros(n_req, dtype=np.int64)
        appointed[rs_all] = _appointed(idx, rs_all, es)
        counts[rs_all, COLUMN["appointment"]] = len(es) - appointed[rs_all]
        for rs, cs, lookup in _blocks(idx, fitting, rs_all, es):
            stop.check()
            rs, kept, survivors = _dense_rules(idx, fit_u if lookup else None, role, rs, cs,
                                               appointed, counts)
            parts.append((rs, kept, survivors.size))
            buffer.append(survivors)
    return _placed(parts, buffer.values, n_req)


class _Buffer:
    """A growing int32 array. Its storage is one large allocation (not a block-sized array
    per block), so that it goes back to the system when freed instead of leaving holes in
    the heap that raised the whole solve's peak memory by ~100 MB at 40,000 x 10,000."""

    def __init__(self) -> None:
        self.values = np.empty(_BUFFER_START, dtype=np.int32)  # reserved, touched as used
        self.size = 0

    def append(self, values: np.ndarray) -> None:
        if self.size + len(values) > len(self.values):
            grown = np.empty(max(2 * len(self.values), self.size + len(values)), np.int32)
            grown[:self.size] = self.values[:self.size]
            self.values = grown
        self.values[self.size:self.size + len(values)] = values
        self.size += len(values)


def _fit_and_km(idx: Index, fit_u: np.ndarray, req: np.ndarray,
                exp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each pair's fit (int8) and travel km (float32, 0 for remote requests).

    Pairs are sorted by request, so per-request values are repeated (a stream) rather than
    gathered pair by pair, a few million pairs at a time. Rounding the km table to float32
    before the lookup gives the same values as rounding after it.
    """
    fit = np.empty(len(req), dtype=np.int8)
    km = np.empty(len(req), dtype=np.float32)
    fit_of = idx.req_field_set.astype(np.int64) * idx.n_exp
    km_of = idx.req_city.astype(np.int64) * len(idx.city_km)
    city_km = idx.city_km.astype(np.float32).reshape(-1)
    for r0, r1, lo, hi, n in _request_chunks(req, idx.n_req):
        e = exp[lo:hi]
        fit[lo:hi] = fit_u.reshape(-1)[np.repeat(fit_of[r0:r1], n) + e]
        block = city_km[np.repeat(km_of[r0:r1], n) + idx.exp_city[e]]
        block[np.repeat(idx.req_remote[r0:r1], n)] = 0.0
        km[lo:hi] = block
    return fit, km


def _request_chunks(req: np.ndarray, n_req: int):
    """Chunks of about PAIR_CHUNK pairs (sorted by request) that end between requests:
    (first request, request after the last, first pair, pair after the last, pairs of each
    request of the chunk)."""
    # Not np.bincount: it would copy the int32 requests to int64 first.
    ptr = np.searchsorted(req, np.arange(n_req + 1, dtype=req.dtype))
    n = np.diff(ptr)
    cuts = np.unique(np.r_[0, np.searchsorted(ptr, np.arange(0, len(req), PAIR_CHUNK),
                                              side="right") - 1, n_req])
    for r0, r1 in zip(cuts[:-1], cuts[1:], strict=True):
        yield r0, r1, ptr[r0], ptr[r1], n[r0:r1]


def _placed(parts: list, survivors: np.ndarray, n_req: int) -> tuple[np.ndarray, np.ndarray]:
    """The blocks' surviving cells as pairs sorted by (request, expert), int32.

    `parts` holds each block's (rows, experts kept per row, number of cells), its cells are
    next in `survivors`. Every request lies in one block, whose cells come row by row with
    experts ascending, so each block's experts are copied to their requests' places (no
    sort, no int64 key).
    """
    n = np.zeros(n_req, dtype=np.int64)
    for rs, kept, _ in parts:
        n[rs] = kept
    start = np.cumsum(n) - n
    req = np.repeat(np.arange(n_req, dtype=np.int32), n)
    exp = np.empty(len(req), dtype=np.int32)
    at = 0
    for rs, kept, size in parts:
        local = np.cumsum(kept) - kept
        exp[np.repeat(start[rs] - local, kept) + np.arange(size)] = survivors[at:at + size]
        at += size
    return req, exp


def _listed(keys: np.ndarray, req: np.ndarray, exp: np.ndarray, n_exp: int) -> np.ndarray:
    """Which pairs (sorted by request, then expert) have r * n_exp + e among sorted keys.

    In chunks, so that no int64 key is held for every pair at once.
    """
    found = np.zeros(len(req), dtype=bool)
    if len(keys) == 0:
        return found
    for lo in range(0, len(req), PAIR_CHUNK):
        pair_keys = req[lo:lo + PAIR_CHUNK].astype(np.int64) * n_exp + exp[lo:lo + PAIR_CHUNK]
        a = np.searchsorted(keys, pair_keys[0], side="left")
        wanted = keys[a:np.searchsorted(keys, pair_keys[-1], side="right")]
        k = np.minimum(np.searchsorted(pair_keys, wanted), len(pair_keys) - 1)
        found[lo + k[pair_keys[k] == wanted]] = True
    return found


def _compacted(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """values[keep], written over values itself chunk by chunk (no second full array)."""
    w = 0
    for lo in range(0, len(values), PAIR_CHUNK):
        chunk = values[lo:lo + PAIR_CHUNK][keep[lo:lo + PAIR_CHUNK]]
        values[w:w + len(chunk)] = chunk
        w += len(chunk)
    return values[:w]


def _language_fails(problem: Problem, idx: Index, req: np.ndarray,
                    exp: np.ndarray) -> np.ndarray:
    """Rule 11 on pairs sorted by request: the expert does not speak the request's language."""
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
    fails = np.zeros(len(req), dtype=bool)
    for r0, r1, lo, hi, n in _request_chunks(req, idx.n_req):
        fails[lo:hi] = ~speaks[np.repeat(req_lang[r0:r1], n), exp[lo:hi]]
    return fails
