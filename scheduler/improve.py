"""Fast local search on a plan: improving moves that keep every rule and never lower the
filled priority, tried on the longest trips first, against a deadline.

The greedy starts leave travel the CP-SAT LNS is too slow to win back at 20,000 x 5,000
(about 0.5 s per neighbourhood). These moves cost microseconds each:

- move: a pair (r, e) gives its seat to a better pair (r, e') of the same request;
- swap: (r1, e1) and (r2, e2) become (r1, e2) and (r2, e1), both eligible pairs;
- trade: expert e leaves request r for a request r' with an open seat whose pair (r', e)
  is worth more (never of lower priority: the value's priority term outweighs the rest);
  r is then reseated with a free expert if one is allowed;
- chain (with the flow's hint): a request the flow seated and the plan left open takes
  its flow expert from a pair outside the hint, whose request moves to a free expert or
  to one that leaves it a less urgent request.

Each pass starts with the chains and the trades that raise the filled priority (most
urgent open seats first), then tries every chosen pair, longest trip first.

Every move is tried on the State itself (remove, State.can_add, add) and undone when a
rule refuses it, so the State's rules 8, 9, 10, 12 and one_procedure hold throughout.
Moves and swaps keep each request's filled seats; a trade swaps a request for one of equal
or higher priority, a chain only leaves a request less urgent than the one it seats: the
filled priority never drops.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from scheduler.model import State
from scheduler.repair import open_candidates

# Better pairs of a request tried per chosen pair, best first: beyond the first few the
# gain is small and the time better spent on the next long trip.
TRIES_PER_PAIR = 6
CHECK_EVERY = 32  # chosen pairs between two looks at the clock
MAX_PASSES = 8
# Finding the pairs a trade may take (_Search.open_pairs): a filter over all pairs, 5 ns a
# pair measured at 20,000 x 5,000 (0.03 s); kept with room for a busy machine.
OPEN_PAIRS_S_PER_PAIR = 2e-8
CHAIN_TRIES = 8  # experts tried for the request an ejection chain moves


def seats_lost(state: State, hint: np.ndarray | None) -> np.ndarray:
    """Requests the flow (`hint`, a mask of its pairs) seated and the plan left open: where
    the plan lost priority the flow found."""
    if hint is None:
        return np.zeros(0, dtype=np.int64)
    lost = np.unique(state.m.req[hint & ~state.chosen])
    return lost[state.filled[lost] < state.m.seats[lost]]


def improve(state: State, deadline: float, *, floor: State | None = None,
            tick: Callable[[], None] | None = None,
            hint: np.ndarray | None = None) -> dict[str, int]:
    """Apply improving moves, swaps and trades to `state` until none is found in a whole
    pass or `deadline` (a time.monotonic() reading) passes. Returns counts per move kind.

    With `hint` (the flow's pairs, a mask), each pass starts with the ejection chains that
    seat the requests the flow filled and the plan left open (_Search.seat_lost).

    `floor` (hand dispatch): while the plan's filled priority only equals the floor's, no
    move takes its fit below the floor's, so the guard in solve.py (never below hand
    dispatch on priority, nor at equal priority on fit) still takes the plan. `tick` is
    called every CHECK_EVERY pairs (progress and a caller's stop: it may raise).
    """
    min_fit = None
    if floor is not None and state.filled_priority() <= floor.filled_priority():
        min_fit = floor.total_fit()
    search = _Search(state, min_fit, tick, hint)
    for _ in range(MAX_PASSES):
        search.stats["passes"] += 1
        if not search.one_pass(deadline):
            break
    return search.stats


class _Search:
    """The state, each expert's chosen pairs, and the move counts."""

    def __init__(self, state: State, min_fit: int | None = None,
                 tick: Callable[[], None] | None = None, hint: np.ndarray | None = None):
        self.s, self.m = state, state.m
        m = self.m
        self.min_fit, self.tick, self.hint = min_fit, tick, hint
        self.fit = state.total_fit()
        self.fixed = np.zeros(len(m.req), dtype=bool)
        self.fixed[m.pinned] = True
        chosen = np.flatnonzero(state.chosen)
        self.by_exp: list[set[int]] = [set() for _ in range(m.n_exp)]
        for p, e in zip(chosen.tolist(), m.exp[chosen].tolist(), strict=True):
            self.by_exp[e].add(p)
        self.value = m.value  # (numpy int64; gains are summed as Python ints)
        self.stats = {"moves": 0, "swaps": 0, "trades": 0, "chains": 0, "reseats": 0,
                      "gain": 0, "passes": 0}
        self._exp_pairs: tuple[np.ndarray, np.ndarray] | None = None
        self.deadline = 0.0  # (of the pass under way)

    def one_pass(self, deadline: float) -> bool:
        """Try every chosen pair, longest trip first; whether anything improved."""
        s, m = self.s, self.m
        self.deadline = deadline
        chosen = np.flatnonzero(s.chosen & ~self.fixed)
        order = chosen[np.argsort(-m.el.km[chosen], kind="stable")]
        before = sum(self.stats[k] for k in ("moves", "swaps", "trades", "chains"))
        self._exp_pairs = None  # (built on first use in this pass: requests opened since)
        # Priority first: chains and trades that seat more urgent requests.
        if self.hint is not None:
            self.seat_lost(self.hint)
        self.raise_priority()
        for i, p in enumerate(order.tolist()):
            if i % CHECK_EVERY == 0 and self.due():
                return False
            if s.chosen[p]:
                self.better_for_request(p) or self.better_for_expert(p)
        return sum(self.stats[k] for k in ("moves", "swaps", "trades", "chains")) > before

    # --- the request keeps its seat, another expert takes it --------------------------

    def better_for_request(self, p: int) -> bool:
        """Move or swap pair p = (r, e) to a better expert of r; whether one was made."""
        s, m, value = self.s, self.m, self.value
        r = int(m.req[p])
        lo, hi = int(m.req_ptr[r]), int(m.req_ptr[r + 1])
        vals = value[lo:hi]
        better = np.flatnonzero((vals > value[p]) & ~s.chosen[lo:hi])
        if len(better) == 0:
            return False
        better = better[np.argsort(-vals[better], kind="stable")[:TRIES_PER_PAIR]] + lo
        for q in better.tolist():
            e2 = int(m.exp[q])
            if s.load[e2] < m.cap[e2] and self.try_move(p, q):
                return True
            if self.try_swaps(p, q):
                return True
        return False

    def try_move(self, p: int, q: int) -> bool:
        """Replace p by q (same request), if the objective rises and the rules allow."""
        s, m = self.s, self.m
        e, e2 = int(m.exp[p]), int(m.exp[q])
        gain = int(self.value[q]) - int(self.value[p]) + m.fair_cost(e, int(s.load[e])) \
            - m.fair_cost(e2, int(s.load[e2]) + 1)
        if gain <= 0 or not self.replace([p], [q]):
            return False
        self.stats["moves"] += 1
        self.stats["gain"] += gain
        return True

    def try_swaps(self, p: int, q: int) -> bool:
        """q = (r, e2) is taken by a pair p2 = (r2, e2) of e2's: swap experts, r2 to e."""
        s, m, value = self.s, self.m, self.value
        e = int(m.exp[p])
        base = int(value[q]) - int(value[p])
        for p2 in list(self.by_exp[int(m.exp[q])]):
            if self.fixed[p2]:
                continue
            q2 = self.pair(int(m.req[p2]), e)
            if q2 < 0 or s.chosen[q2]:
                continue
            gain = base + int(value[q2]) - int(value[p2])  # loads unchanged
            if gain > 0 and self.replace([p, p2], [q, q2]):
                self.stats["swaps"] += 1
                self.stats["gain"] += gain
                return True
        return False

    # --- the expert keeps the slot, another request takes it --------------------------

    def better_for_expert(self, p: int) -> bool:
        """Trade p = (r, e) for a better pair (r', e) of a request with an open seat."""
        s, m, value = self.s, self.m, self.value
        e = int(m.exp[p])
        pairs = self.expert_pairs(e)
        if len(pairs) == 0:
            return False
        vals = value[pairs]
        rs = m.req[pairs]
        ok = (vals > value[p]) & (s.filled[rs] < m.seats[rs]) & ~s.chosen[pairs]
        better = pairs[ok]
        if len(better) == 0:
            return False
        prio = int(m.prio[p])
        for q in better[np.argsort(-value[better], kind="stable")[:TRIES_PER_PAIR]].tolist():
            if int(m.prio[q]) < prio:  # (cannot happen: value is lexicographic; kept safe)
                continue
            if self.trade(p, q):
                return True
        return False

    def raise_priority(self) -> None:
        """Trades that fill a more urgent open seat: an expert leaves its least urgent
        request for it (most urgent open seats first); the request left is then reseated
        with another expert where one is free, so the filled priority rises."""
        s, m = self.s, self.m
        if time.monotonic() + OPEN_PAIRS_S_PER_PAIR * len(m.req) > self.deadline:
            return
        pairs, _ = self._exp_pairs = self.open_pairs()
        chosen = np.flatnonzero(s.chosen & ~self.fixed)
        least = np.full(m.n_exp, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(least, m.exp[chosen], m.prio[chosen])
        urgent = pairs[m.prio[pairs] > least[m.exp[pairs]]]
        urgent = urgent[np.lexsort((-m.value[urgent], -m.prio[urgent]))]
        for i, q in enumerate(urgent.tolist()):
            if i % CHECK_EVERY == 0 and self.due():
                return
            r2 = int(m.req[q])
            if s.chosen[q] or s.filled[r2] >= m.seats[r2]:
                continue
            mine = [p for p in self.by_exp[int(m.exp[q])]
                    if not self.fixed[p] and m.prio[p] < m.prio[q]]
            for p in sorted(mine, key=lambda p: (int(m.prio[p]), int(self.value[p]))):
                if self.trade(p, q):
                    break

    # --- ejection chains: the priority the flow found and the greedy start lost --------

    def seat_lost(self, hint: np.ndarray) -> None:
        """For each request the flow seated and the plan left open, most urgent first: its
        flow expert e leaves a pair p the flow did not choose, and p's request moves to a
        free expert, or to one that leaves it a less urgent request (then reseated). Each
        chain raises the filled priority by the request's, less the one left if any."""
        s, m = self.s, self.m
        lost = seats_lost(s, hint)
        lost = lost[np.argsort(-m.el.index.req_prio[lost], kind="stable")]
        for i, r in enumerate(lost.tolist()):
            if i % 8 == 0 and self.due():
                return
            lo, hi = int(m.req_ptr[r]), int(m.req_ptr[r + 1])
            for q in (np.flatnonzero(hint[lo:hi] & ~s.chosen[lo:hi]) + lo).tolist():
                if s.filled[r] >= m.seats[r]:
                    break
                self.chain(q, hint)

    def chain(self, q: int, hint: np.ndarray) -> bool:
        """Seat q = (r, e) in place of one of e's pairs outside the hint (see seat_lost)."""
        m = self.m
        for p in sorted(self.by_exp[int(m.exp[q])], key=lambda p: int(self.value[p])):
            if self.fixed[p] or hint[p] or not self.replace([p], [q]):
                continue
            if self.relocate(int(m.req[p]), int(m.prio[q])):
                self.stats["chains"] += 1
                return True
            self.replace([q], [p])  # (the plan as before: p fits again)
        return False

    def relocate(self, r: int, prio: int) -> bool:
        """Seat request r with a free expert, else with one that leaves it a request less
        urgent than `prio` (which is then reseated if it can be)."""
        s, m = self.s, self.m
        for q in open_candidates(s, r)[:CHAIN_TRIES].tolist():
            if s.can_add(q):
                self.add(q)
                return True
        lo, hi = int(m.req_ptr[r]), int(m.req_ptr[r + 1])
        ps = np.arange(lo, hi)[~s.chosen[lo:hi]]
        for q in ps[np.argsort(-self.value[ps], kind="stable")[:CHAIN_TRIES]].tolist():
            for p in list(self.by_exp[int(m.exp[q])]):
                if not self.fixed[p] and int(m.prio[p]) < prio and self.replace([p], [q]):
                    self.reseat(int(m.req[p]))
                    return True
        return False

    def add(self, q: int) -> None:
        self.s.add(q)
        self.fit += int(self.m.el.fit[q])
        self.by_exp[int(self.m.exp[q])].add(q)

    def trade(self, p: int, q: int) -> bool:
        """p = (r, e) gives e to q = (r', e); r is then reseated if an expert is free."""
        if not self.replace([p], [q]):
            return False
        self.stats["trades"] += 1
        self.stats["gain"] += int(self.value[q]) - int(self.value[p])
        self.reseat(int(self.m.req[p]))
        return True

    def reseat(self, r: int) -> None:
        """Fill request r's open seats with the best pairs still allowed (each adds its
        priority: worth more than any secondary term)."""
        s, m = self.s, self.m
        for q in open_candidates(s, r).tolist():
            if s.filled[r] >= m.seats[r]:
                return
            if s.can_add(q):
                self.add(q)
                self.stats["reseats"] += 1

    def expert_pairs(self, e: int) -> np.ndarray:
        """Pairs of expert e that may beat one of its chosen pairs in a trade (open_pairs)."""
        if self._exp_pairs is None:
            if time.monotonic() + OPEN_PAIRS_S_PER_PAIR * len(self.m.req) > self.deadline:
                return np.zeros(0, dtype=np.int64)  # no time left to find them this pass
            self._exp_pairs = self.open_pairs()
        order, ptr = self._exp_pairs
        return order[ptr[e]:ptr[e + 1]]

    def open_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """The pairs of requests with an open seat worth more than their expert's worst
        chosen pair, grouped by expert (pairs, each expert's start): the only pairs a trade
        can take. A filter over all pairs: sorting them all by expert would cost 0.5 s at
        20,000 x 5,000, this subset a few hundredths."""
        s, m = self.s, self.m
        chosen = np.flatnonzero(s.chosen)
        worst = np.full(m.n_exp, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(worst, m.exp[chosen], m.value[chosen])
        open_req = s.filled < m.seats
        pairs = np.flatnonzero(open_req[m.req] & (m.value > worst[m.exp]))
        pairs = pairs[np.argsort(m.exp[pairs], kind="stable")]
        ptr = np.searchsorted(m.exp[pairs], np.arange(m.n_exp + 1))
        return pairs, ptr

    # --- helpers ----------------------------------------------------------------------

    def due(self) -> bool:
        """Whether the pass's deadline has passed; else report progress (and honour a stop:
        tick may raise)."""
        if time.monotonic() >= self.deadline:
            return True
        if self.tick is not None:
            self.tick()
        return False

    def pair(self, r: int, e: int) -> int:
        """The pair (r, e), or -1 if not eligible (pairs are sorted by request, expert)."""
        m = self.m
        lo, hi = int(m.req_ptr[r]), int(m.req_ptr[r + 1])
        k = lo + int(np.searchsorted(m.exp[lo:hi], e))
        return k if k < hi and int(m.exp[k]) == e else -1

    def replace(self, out: list[int], into: list[int]) -> bool:
        """Remove `out`, add `into` if every rule allows, else put `out` back; refuse to
        take the fit below min_fit."""
        s, m = self.s, self.m
        fit = m.el.fit
        change = int(fit[into].sum()) - int(fit[out].sum())
        if self.min_fit is not None and self.fit + change < self.min_fit:
            return False
        for p in out:
            s.remove(p)
        added = []
        for q in into:
            if not s.can_add(q):
                break
            s.add(q)
            added.append(q)
        if len(added) < len(into):
            for q in added:
                s.remove(q)
            for p in out:
                s.add(p)
            return False
        self.fit += change
        for p in out:
            self.by_exp[int(m.exp[p])].discard(p)
        for q in into:
            self.by_exp[int(m.exp[q])].add(q)
        return True
