"""The solver's view of a problem: eligible pairs with their values, and a plan state.

Objective (house order): priority of filled seats first, then a secondary score per
pair (fit, travel, previous kept) and a convex workload penalty for fairness. Both
are folded into one integer value per pair, with the priority term scaled by `big`
so that no amount of secondary score can pay for one unit of priority.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scheduler.eligibility import PAIR_CHUNK, Eligibility, eligible_pairs
from scheduler.problem import DEFAULT_WEIGHTS, Problem


@dataclass
class Model:
    problem: Problem
    el: Eligibility
    req: np.ndarray  # pair -> request position
    exp: np.ndarray  # pair -> expert position
    prio: np.ndarray
    value: np.ndarray  # prio * big + secondary, per pair
    prev: np.ndarray
    pinned: np.ndarray  # pair indices that are pinned
    req_ptr: np.ndarray  # pairs of request r: req_ptr[r]:req_ptr[r+1]
    seats: np.ndarray
    cap: np.ndarray  # max_concurrent - current_load, per expert
    base_load: np.ndarray  # current_load per expert
    max_conc: np.ndarray
    req_days: list  # per request: np.ndarray of the day segments it covers
    horizon: int  # number of day segments (<= 2 x number of request day ranges)
    exp_orgs: list  # per expert: frozenset of current organisations
    big: int
    w_fair: int
    # Rule one_procedure: per request, its dispute's number and its procedure's number (-1
    # for both when no other procedure of its dispute is in the problem: nothing to keep).
    req_dispute: list
    req_proc: list

    @property
    def n_req(self) -> int:
        return len(self.seats)

    @property
    def n_exp(self) -> int:
        return len(self.cap)

    def fair_cost(self, e, k):
        """Penalty for expert e's k-th assignment in this plan (convex in k); for arrays
        of experts and ranks at once too (then an array)."""
        cost = self.w_fair * (100 * (self.base_load[e] + k)) // np.maximum(1, self.max_conc[e])
        return int(cost) if np.ndim(cost) == 0 else cost

    def pairs_of(self, r: int) -> range:
        return range(int(self.req_ptr[r]), int(self.req_ptr[r + 1]))


def build_model(problem: Problem, el: Eligibility | None = None) -> Model:
    """Index eligible pairs and fold the house objective into one value per pair."""
    el = el or eligible_pairs(problem)
    idx = el.index
    # load_problem checked the weights (finite, 0 <= w <= MAX_WEIGHTS); fit, previous and
    # fairness are used as whole numbers.
    weights = {**DEFAULT_WEIGHTS, **{k: v for k, v in problem.settings.weights.items()
                                     if k in DEFAULT_WEIGHTS and isinstance(v, int | float)}}
    weights = {k: (float(v) if k == "travel_per_km" else int(round(v)))
               for k, v in weights.items()}
    req, exp = el.req.astype(np.int64), el.exp.astype(np.int64)
    prev, pinned = _previous_and_pinned(problem, req, exp, idx.n_exp)
    sec = _secondary(el, weights, prev)
    w_fair = int(weights["fairness"])
    big = lexicographic_big(req, sec, 100 * w_fair, idx.req_seats)
    prio = idx.req_prio[req]
    value = sec  # prio * big + sec, made in sec's place (sec is not kept)
    for lo in range(0, len(value), PAIR_CHUNK):
        value[lo:lo + PAIR_CHUNK] += prio[lo:lo + PAIR_CHUNK] * big
    req_ptr = np.zeros(idx.n_req + 1, dtype=np.int64)
    req_ptr[1:] = np.cumsum(np.bincount(req, minlength=idx.n_req))
    req_days, horizon = day_segments(idx.int_ptr, idx.int_start, idx.int_end)
    return Model(
        problem=problem, el=el, req=req, exp=exp, prio=prio, value=value,
        prev=prev, pinned=pinned, req_ptr=req_ptr, seats=idx.req_seats.copy(),
        cap=np.array([e.max_concurrent - e.current_load for e in problem.experts], dtype=np.int64),
        base_load=np.array([e.current_load for e in problem.experts], dtype=np.int64),
        max_conc=np.array([e.max_concurrent for e in problem.experts], dtype=np.int64),
        req_days=req_days, horizon=horizon,
        exp_orgs=[e.current_orgs for e in problem.experts], big=big, w_fair=w_fair,
        **procedures(problem),
    )


def _previous_and_pinned(problem: Problem, req: np.ndarray, exp: np.ndarray,
                         n_exp: int) -> tuple[np.ndarray, np.ndarray]:
    """Which pairs were in the previous plan (a mask), and the pinned pairs' indices."""
    prev = np.zeros(len(req), dtype=bool)
    if not problem.previous and not problem.pinned:  # a first solve: no key per pair
        return prev, np.zeros(0, dtype=np.int64)
    keys = req * n_exp + exp
    prev[_find(keys, _pair_keys(problem, problem.previous, n_exp))] = True
    return prev, _find(keys, _pair_keys(problem, problem.pinned, n_exp))


def _secondary(el: Eligibility, weights: dict, prev: np.ndarray) -> np.ndarray:
    """Each pair's secondary value, int64: weighted fit, less weighted travel, plus the
    weight of keeping a previous pair. A chunk of pairs at a time: as one expression over
    every pair, each step allocated a fresh 190 MB array at 40,000 x 10,000 (1.1 s)."""
    w_fit, w_km, w_prev = (int(weights["fit"]), float(weights["travel_per_km"]),
                           int(weights["previous"]))
    sec = np.empty(len(el.fit), dtype=np.int64)
    for lo in range(0, len(sec), PAIR_CHUNK):
        part = sec[lo:lo + PAIR_CHUNK]
        np.multiply(el.fit[lo:lo + PAIR_CHUNK], w_fit, out=part, dtype=np.int64)
        part -= np.rint(el.km[lo:lo + PAIR_CHUNK] * w_km).astype(np.int64)
        part += w_prev * prev[lo:lo + PAIR_CHUNK]
    return sec


def procedures(problem: Problem) -> dict[str, list]:
    """req_dispute and req_proc: numbers for the disputes that have requests of two
    procedures or more in the problem (rule one_procedure), -1 for every other request."""
    keys = [r.procedure_key for r in problem.requests]
    procs: dict[str, set[str]] = {}
    for key in keys:
        if key is not None:
            procs.setdefault(key[0], set()).add(key[1])
    split = sorted(d for d, ps in procs.items() if len(ps) > 1)
    dispute_no = {d: k for k, d in enumerate(split)}
    proc_no = {(d, p): k for k, (d, p) in enumerate(sorted((d, p) for d in split
                                                          for p in procs[d]))}
    disputes = [dispute_no.get(k[0], -1) if k else -1 for k in keys]
    return {"req_dispute": disputes,
            "req_proc": [proc_no[k] if d >= 0 else -1 for k, d in zip(keys, disputes,
                                                                     strict=True)]}


def one_procedure_groups(model: Model, pairs) -> list[list[list[int]]]:
    """Rule one_procedure among `pairs`: for each expert and dispute with pairs in two
    procedures or more, the pairs of each procedure (at most one procedure may be chosen)."""
    groups: dict[tuple[int, int], dict[int, list[int]]] = {}
    for p in pairs:
        p = int(p)
        r = int(model.req[p])
        d = model.req_dispute[r]
        if d >= 0:
            key = (int(model.exp[p]), d)
            groups.setdefault(key, {}).setdefault(model.req_proc[r], []).append(p)
    return [list(by_proc.values()) for by_proc in groups.values() if len(by_proc) > 1]


def day_segments(int_ptr: np.ndarray, int_start: np.ndarray,
                 int_end: np.ndarray) -> tuple[list, int]:
    """Compress the day axis to the elementary segments between request range boundaries.

    Cut the calendar at every request range's start and the day after its end: each
    piece is a run of days that every request either covers entirely or not at all.
    Two requests share a day exactly when they share a segment, so rule 8 can be
    checked on segments, and there are at most 2 x (number of ranges) of them, however
    far apart the dates are (a range ending 9999-12-31 costs one segment, not 3.6 million
    days). Busy and unavailable ranges never enter this axis: eligibility.py drops the
    pairs they block, by binary search over the ranges themselves.

    Returns (per request: sorted array of its segment indices, number of segments).
    """
    n_req = len(int_ptr) - 1
    if len(int_start) == 0:
        return [np.zeros(0, dtype=np.int64) for _ in range(n_req)], 1
    cuts = np.unique(np.concatenate([int_start, int_end + 1]))
    first = np.searchsorted(cuts, int_start)
    stop = np.searchsorted(cuts, int_end + 1)  # exclusive
    out = []
    for r in range(n_req):
        lo, hi = int(int_ptr[r]), int(int_ptr[r + 1])
        if lo == hi:
            out.append(np.zeros(0, dtype=np.int64))
        elif hi - lo == 1:
            out.append(np.arange(first[lo], stop[lo], dtype=np.int64))
        else:
            out.append(np.unique(np.concatenate(
                [np.arange(a, b, dtype=np.int64) for a, b in zip(first[lo:hi], stop[lo:hi],
                                                                 strict=True)])))
    return out, max(1, len(cuts) - 1)


def lexicographic_big(req: np.ndarray, sec: np.ndarray, fair_max: int,
                      seats: np.ndarray) -> int:
    """Weight of one priority unit: more than the secondary terms of two plans can differ.

    A plan takes at most `seats[r]` pairs of request r; each pair adds its secondary
    value `sec` and costs between 0 and `fair_max` of workload penalty. So every plan's
    secondary total lies in [low, high], with high the sum over requests of `seats[r]`
    times their best positive value and low the same with their worst value net of the
    full penalty. Any big > high - low makes the objective lexicographic. This is the
    range of this problem's values (O(pairs), one pass), not seats * 2 * max|sec|, so
    the coefficients stay small: about 3e8 at 20,000 x 5,000 with the default weights.
    """
    req = np.asarray(req, dtype=np.int64)
    sec = np.asarray(sec, dtype=np.int64)
    if len(req) == 0:
        return 1
    # Pairs are grouped by request: one run per request that has pairs.
    starts = np.flatnonzero(np.r_[True, req[1:] != req[:-1]])
    runs = req[starts]
    n = np.minimum(np.asarray(seats, dtype=np.int64)[runs], np.diff(np.r_[starts, len(req)]))
    n = np.maximum(n, 0)
    # Per request: the largest max(sec, 0) and the largest max(fair_max - sec, 0), from
    # the run's largest and smallest sec (no full-size temporary).
    up = np.maximum(np.maximum.reduceat(sec, starts), 0)
    down = np.maximum(fair_max - np.minimum.reduceat(sec, starts), 0)
    return int((n * (up + down)).sum()) + 1


def _pair_keys(problem: Problem, pairs, n_exp: int) -> np.ndarray:
    r_pos = {r.id: k for k, r in enumerate(problem.requests)}
    e_pos = {e.id: k for k, e in enumerate(problem.experts)}
    return np.array([r_pos[p.request] * n_exp + e_pos[p.expert] for p in pairs], dtype=np.int64)


def _find(sorted_keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Positions of `wanted` keys present in `sorted_keys`."""
    if len(wanted) == 0 or len(sorted_keys) == 0:
        return np.zeros(0, dtype=np.int64)
    k = np.minimum(np.searchsorted(sorted_keys, wanted), len(sorted_keys) - 1)
    return np.unique(k[sorted_keys[k] == wanted])


class State:
    """A plan under construction that always satisfies rules 8, 9, 10 and 12, and rule
    one_procedure (an expert serves one procedure of a dispute)."""

    def __init__(self, model: Model):
        self.m = model
        self.chosen = np.zeros(len(model.req), dtype=bool)
        self.load = np.zeros(model.n_exp, dtype=np.int64)
        self.filled = np.zeros(model.n_req, dtype=np.int64)
        self.occ = np.zeros((model.n_exp, model.horizon), dtype=bool)
        self.panel: dict[int, list[int]] = {}
        # (expert, dispute) -> the procedures of the expert's requests in it, one per pair
        self.procs: dict[tuple[int, int], list[int]] = {}
        self.settled = False  # repair.fill found no seat left to fill since the last change

    def can_add(self, p: int) -> bool:
        m, r, e = self.m, int(self.m.req[p]), int(self.m.exp[p])
        if self.chosen[p] or self.filled[r] >= m.seats[r] or self.load[e] >= m.cap[e]:
            return False
        days = m.req_days[r]
        if len(days) and self.occ[e, days].any():
            return False
        orgs = m.exp_orgs[e]
        if orgs and any(orgs & m.exp_orgs[x] for x in self.panel.get(r, ())):
            return False
        return m.req_dispute[r] < 0 or not self.other_procedure(r, e)

    def other_procedure(self, r: int, e: int) -> bool:
        """Whether expert e serves another procedure of request r's dispute in this plan."""
        d = self.m.req_dispute[r]
        if d < 0:
            return False
        held = self.procs.get((e, d))
        return bool(held) and any(x != self.m.req_proc[r] for x in held)

    def add(self, p: int) -> None:
        m, r, e = self.m, int(self.m.req[p]), int(self.m.exp[p])
        self.chosen[p] = True
        self.settled = False
        self.load[e] += 1
        self.filled[r] += 1
        self.occ[e, m.req_days[r]] = True
        self.panel.setdefault(r, []).append(e)
        if m.req_dispute[r] >= 0:
            self.procs.setdefault((e, m.req_dispute[r]), []).append(m.req_proc[r])

    def remove(self, p: int) -> None:
        m, r, e = self.m, int(self.m.req[p]), int(self.m.exp[p])
        self.chosen[p] = False
        self.settled = False
        self.load[e] -= 1
        self.filled[r] -= 1
        self.occ[e, m.req_days[r]] = False
        self.panel[r].remove(e)
        if m.req_dispute[r] >= 0:
            self.procs[(e, m.req_dispute[r])].remove(m.req_proc[r])

    def copy(self) -> State:
        other = State.__new__(State)
        other.m = self.m
        other.chosen, other.load = self.chosen.copy(), self.load.copy()
        other.filled, other.occ = self.filled.copy(), self.occ.copy()
        other.panel = {r: list(v) for r, v in self.panel.items()}
        other.procs = {k: list(v) for k, v in self.procs.items()}
        other.settled = self.settled
        return other

    def filled_priority(self) -> int:
        return int(self.m.prio[self.chosen].sum())

    def total_fit(self) -> int:
        """Sum over assigned pairs of the best matching proficiency (metrics.fit)."""
        return int(self.m.el.fit[self.chosen].sum())

    def objective(self) -> int:
        """Value of the plan: pair values minus the convex workload penalty."""
        m = self.m
        total = int(m.value[self.chosen].sum())
        # Every expert's k-th assignment (k = 1..load) at once.
        e = np.flatnonzero(self.load > 0)
        n = self.load[e]
        if len(e) == 0:
            return total
        each = np.repeat(e, n)
        k = np.arange(len(each)) - np.repeat(np.cumsum(n) - n, n) + 1
        return total - int(m.fair_cost(each, k).sum())
