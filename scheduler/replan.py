"""Re-plan after a small change: keep the previous plan, repair only what the change touched.

A re-plan starts from the previous proposal (`problem.previous`) instead of searching the
whole problem again: pinned pairs first, then every previous pair the rules still allow
(a declined pair is now `excluded`, an unavailable expert's pairs are no longer eligible,
so neither is in the model). Open seats are then refilled greedily (repair.fill), seats
still open on the requests the change touched are filled by moving one expert along a
short chain of moves (`_chains`), and, when the time left pays for it, CP-SAT
re-optimises the neighbourhoods of those requests (lns.neighbourhood, lns.optimise). Every
step only ever accepts a better plan, so the filled priority never falls below what the
kept pairs hold (docs/scheduler.md, "Re-plan").
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from scheduler.clock import Clock, Stop
from scheduler.eligibility import eligible_pairs
from scheduler.explain import build_plan
from scheduler.lns import cp_sat_load_s, neighbourhood, optimise
from scheduler.model import Model, State, build_model
from scheduler.plan import Plan
from scheduler.problem import Problem
from scheduler.repair import fill
from scheduler.solve import busy_deadline, default_workers, seat_bound, time_limit

DEFAULT_LIMIT_S = 1.0
LNS_MIN_S = 0.15  # a neighbourhood search shorter than this seldom finds anything
LNS_STEP_S = 0.25  # at most per neighbourhood (CP-SAT seldom proves one in less)
LNS_MAX_REQUESTS = 50  # touched requests searched around, most urgent first
# A chain moves at most this many seats; its first seat tries the request's 40 best
# experts, the next ones fewer (the search grows as the product).
CHAIN_DEPTH = 2
CHAIN_TRIES = {2: 40, 1: 8, 0: 8}
CHAIN_LOOK = 3000  # chains compared, at most, for one seat


def replan(problem: Problem, *, time_limit_s: float | None = DEFAULT_LIMIT_S, seed: int = 0,
           workers: int | None = None, started: float | None = None,
           progress: Callable[[dict], None] | None = None,
           stop: Callable[[], bool] | None = None) -> Plan:
    """Re-plan from `problem.previous`, changing only what the change since then requires.

    Keeps every pinned pair and every previous pair that still breaks no rule, refills the
    open seats and improves the requests the change touched (those that lost a previous
    pair, then open ones the previous plan did not name), within `time_limit_s` counted
    from `started` (a time.monotonic() reading; default now), like `solve`. Returns the same
    Plan shape as `solve`; solver["replan"] is true and solver["previous_kept"] counts the
    previous pairs kept. Raises Cancelled once `stop` returns True.
    """
    workers = default_workers() if workers is None else max(1, int(workers))
    limit = time_limit(problem, time_limit_s)
    clock = Clock(limit, progress, started, Stop(stop))
    # Eligibility: the whole problem (a changed expert or request may touch any pair).
    model = build_model(problem, eligible_pairs(problem, stop=clock.stop))
    clock.bound = seat_bound(model)
    clock.report("eligibility", None)
    # Keep: pinned pairs, then the previous pairs still allowed. Its time against its quiet
    # cost says how busy the machine is: the time kept back to write the plan grows with it.
    entered = time.monotonic()
    state = keep_previous(model)
    _slowdown, deadline = busy_deadline(model, clock, time.monotonic() - entered,
                                        quiet_keep_s(model))
    facts = {"previous_total": len(problem.previous), "previous_valid": int(model.prev.sum()),
             "previous_kept_at_start": int((model.prev & state.chosen).sum())}
    touched = touched_requests(model, state)
    clock.report("keep previous", state)
    # Repair: greedy refill, then short chains of moves for the touched requests' open seats.
    fill(state)
    facts["chain_moves"] = _chains(state, touched, deadline, clock.stop)
    clock.report("repair", state)
    # Search: CP-SAT on the touched requests' neighbourhoods, if the time left pays for it.
    searched = _search(state, touched, deadline, seed, workers, clock)
    fill(state)
    clock.report("done", state)
    proven = state.filled_priority() == clock.bound  # every seat with a candidate is filled
    facts |= {"touched_requests": len(touched), "lns_improvements": searched or 0,
              "previous_kept": int((model.prev & state.chosen).sum())}
    solver = _solver_facts(model, clock, proven, searched is not None, deadline, seed,
                           workers) | facts
    return build_plan(model, state, "optimal" if proven else "feasible", clock.bound, solver)


def _solver_facts(model: Model, clock: Clock, proven: bool, searched: bool, deadline: float,
                  seed: int, workers: int) -> dict:
    """The solver report, with the keys `solve` gives; `replan` says it was a re-plan."""
    engine = "re-plan: previous pairs + greedy refill + chains"
    return {
        "engine": engine + (" + CP-SAT on the touched requests" if searched else ""),
        "replan": True, "wall_s": round(clock.elapsed(), 3), "time_limit_s": clock.limit_s,
        "status_text": "re-plan: the previous plan, repaired where the change touched it",
        "priority_proven_optimal": proven, "secondary_proven_optimal": False,
        "eligible_pairs": int(len(model.req)), "seed": seed, "workers": workers,
        "baseline_fallback": False, "skipped": [] if searched else ["lns"],
        "time_to_proof_s": round(clock.elapsed(), 3) if proven else None,
        "stop_reason": "time limit" if time.monotonic() >= deadline - 0.05
        else "no improvement",
    }


def keep_previous(model: Model) -> State:
    """Pinned pairs, then the previous pairs that the rules still allow, best value first
    (so when a change leaves room for fewer of them, the most urgent stay)."""
    state = State(model)
    for p in model.pinned:
        state.add(int(p))
    prev = np.flatnonzero(model.prev & ~state.chosen)
    for p in prev[np.argsort(-model.value[prev], kind="stable")].tolist():
        if state.can_add(p):
            state.add(p)
    return state


def quiet_keep_s(model: Model) -> float:
    """keep_previous's time on a quiet 2-core machine (measured: about 0.035 s for the
    6,281 previous pairs of a 5,000 x 2,000 plan)."""
    return 0.005 + 5e-6 * (len(model.pinned) + int(model.prev.sum()))


def touched_requests(model: Model, state: State) -> np.ndarray:
    """Requests with an open seat and eligible experts that the change touched: those that
    lost a previous pair first, then those the previous plan did not name (new, or open
    before); most urgent first within each group."""
    position = {r.id: k for k, r in enumerate(model.problem.requests)}
    named = np.bincount(np.array([position[p.request] for p in model.problem.previous
                                  if p.request in position], dtype=np.int64),
                        minlength=model.n_req)
    held = np.bincount(model.req[model.prev & state.chosen], minlength=model.n_req)
    open_ = (state.filled < model.seats) & (np.diff(model.req_ptr) > 0)
    lost = np.flatnonzero(open_ & (held < named))
    fresh = np.flatnonzero(open_ & (named == 0))
    prio = model.el.index.req_prio
    return np.concatenate([lost[np.argsort(-prio[lost], kind="stable")],
                           fresh[np.argsort(-prio[fresh], kind="stable")]])


def _chains(state: State, requests: np.ndarray, deadline: float, stop: Stop) -> int:
    """Fill open seats of `requests` along short chains of moves: the seat takes an expert
    who is blocked only by one of his other (unpinned) pairs, whose request then takes
    another expert the same way, up to CHAIN_DEPTH moves, or stays one short. A chain is
    kept only when the objective rises (filled priority first, then the secondary terms),
    so a seat is never taken from an equally urgent request without a replacement, nor a
    previous pair given up for less than its bonus. Returns the chains made."""
    chain = _Chain(state, deadline)
    made = 0
    for r in requests.tolist():
        stop.check()
        while state.filled[r] < state.m.seats[r] and not chain.late():
            if not chain.improve(r):
                break
            made += 1
    return made


class _Chain:
    """Depth-bounded search for an improving chain of moves (an augmenting path)."""

    def __init__(self, state: State, deadline: float):
        m = self.m = state.m
        self.state, self.deadline = state, deadline
        self.pinned = np.zeros(len(m.req), dtype=bool)
        self.pinned[m.pinned] = True
        self.by_exp = np.argsort(m.exp, kind="stable")  # pairs grouped by expert
        self.exp_ptr = np.searchsorted(m.exp[self.by_exp], np.arange(m.n_exp + 1))
        self.moves: list[tuple[bool, int]] = []  # (added?, pair) of the chain explored
        self.gain = self.prio = 0  # its change of the objective and of the filled priority

    def late(self) -> bool:
        return time.monotonic() >= self.deadline - 0.05

    def improve(self, r: int) -> bool:
        """Give request r one more seat along the best chain found: the first that loses
        no priority elsewhere, else the best of CHAIN_LOOK chains; True if one raised the
        objective."""
        best, best_gain = None, 0
        for seen, _ in enumerate(self._moves(r, CHAIN_DEPTH, {r})):
            if self.gain > best_gain:
                best, best_gain = list(self.moves), self.gain
                if self.prio == int(self.m.prio[self.m.req_ptr[r]]):
                    break  # r's seat filled at no priority lost: take it
            if seen >= CHAIN_LOOK or self.late():
                break
        while self.moves:  # back to the plan before the search (the generator is left)
            self._undo()
        for added, p in best or ():
            (self.state.add if added else self.state.remove)(p)
        return best is not None

    def _moves(self, r: int, depth: int, banned: set):
        """Yield each time request r holds one more seat than before; on resume, undo it
        and try the next way."""
        state, m = self.state, self.m
        ps = np.arange(m.req_ptr[r], m.req_ptr[r + 1])
        ps = ps[~state.chosen[ps]]
        ps = ps[np.argsort(-m.value[ps], kind="stable")][:CHAIN_TRIES[depth]].tolist()
        for p in ps:
            if state.can_add(p):
                self._do(True, p)
                yield
                self._undo()
        if depth == 0:
            return
        for p in ps:
            e = int(m.exp[p])
            held = self.by_exp[self.exp_ptr[e]:self.exp_ptr[e + 1]]
            for q in held[state.chosen[held] & ~self.pinned[held]].tolist():
                r2 = int(m.req[q])
                if r2 in banned or self.late():
                    continue
                self._do(False, q)
                if state.can_add(p):
                    self._do(True, p)
                    yield  # r2 left one short: kept only if it is less urgent
                    yield from self._moves(r2, depth - 1, banned | {r2})
                    self._undo()
                self._undo()

    def _do(self, add: bool, p: int) -> None:
        m, e = self.m, int(self.m.exp[p])
        if add:
            self.state.add(p)
        sign = 1 if add else -1
        # The k-th assignment of e costs fair_cost(e, k): the one added or removed is the
        # last, at the load with p in the plan.
        self.gain += sign * (int(m.value[p]) - m.fair_cost(e, int(self.state.load[e])))
        self.prio += sign * int(m.prio[p])
        if not add:
            self.state.remove(p)
        self.moves.append((add, p))

    def _undo(self) -> None:
        add, p = self.moves.pop()
        self._do(not add, p)
        self.moves.pop()


def _search(state: State, touched: np.ndarray, deadline: float, seed: int, workers: int,
            clock: Clock) -> int | None:
    """CP-SAT on the neighbourhood of each touched request (its best experts, the requests
    they hold, those requests' alternatives; lns.neighbourhood), at most LNS_STEP_S each,
    while the time lasts; a request whose neighbourhood improved gets a second one. Returns
    the improvements, None when the time left does not pay for a search."""
    need = LNS_MIN_S + cp_sat_load_s()
    if not len(touched) or deadline - time.monotonic() < need:
        return None
    rng = np.random.default_rng(seed)
    queue, improved = [int(r) for r in touched[:LNS_MAX_REQUESTS]], 0
    while queue:
        left = deadline - time.monotonic()
        if left < LNS_MIN_S / 2:
            break
        r = queue.pop(0)
        reqs, exps = neighbourhood(state, r, rng)
        ok, _ = optimise(state, reqs, exps, min(LNS_STEP_S, left), seed=int(rng.integers(1 << 30)),
                         workers=workers, stop=clock.stop)
        if ok:
            improved += 1
            clock.tick("lns", state)
            if improved <= LNS_MAX_REQUESTS:
                queue.append(r)
    return improved
