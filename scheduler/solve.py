"""The dispatch pipeline: eligibility -> flow bound and hint -> repair -> CP-SAT -> plan."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable

import numpy as np

from scheduler.baseline import baseline_state
from scheduler.clock import Clock, Stop
from scheduler.eligibility import eligible_pairs
from scheduler.exact import max_priority
from scheduler.explain import build_plan
from scheduler.flow import relax, top_pairs
from scheduler.lns import optimise, run_lns
from scheduler.model import Model, State, build_model
from scheduler.plan import Plan
from scheduler.problem import MAX_TIME_LIMIT_S, Problem
from scheduler.repair import fill, guided, repair

EXACT_MAX_PAIRS = 40_000  # up to here CP-SAT gets the whole problem and may prove it
HINT_PAIRS_PER_REQUEST = 80
MAX_DEFAULT_WORKERS = 8
# Once the filled priority reaches the bound (proven optimal), the LNS stops after this many
# neighbourhoods in a row bring no improvement of the secondary terms: the tolerance of
# "stop when proven" for the search that cannot prove the secondary terms itself.
STALL_NEIGHBOURHOODS = 30
# Once the filled priority is proven, CP-SAT on the whole problem stops when its bound on the
# objective is within this share of the secondary terms' range (model.lexicographic_big over
# the problem: the spread between the best and worst secondary totals any plan could have).
SECONDARY_GAP = 1e-3
# ... or when it found no better plan for this share of the time limit (at least 1 s): with
# few workers CP-SAT's bound on a problem of ~10,000 pairs or more rarely closes.
STALL_SHARE, STALL_MIN_S = 0.15, 1.0


def default_workers() -> int:
    """The cores this process may run on (its CPU affinity, else os.cpu_count()), at most 8."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_WORKERS))


def solve(problem: Problem, *, time_limit_s: float | None = None, seed: int = 0,
          progress: Callable[[dict], None] | None = None, workers: int | None = None,
          started: float | None = None, stop: Callable[[], bool] | None = None) -> Plan:
    """Assign experts to requests under the 13 rules; on a valid problem, raises only
    Cancelled (when `stop` returns True).

    The limit (default: the problem's settings.time_limit_s) bounds the caller's whole job:
    it counts from `started`, a time.monotonic() reading taken when the caller began (before
    reading and validating the problem; default: now), and keeps back the time to turn the
    plan into a document and write it out. So `python -m scheduler solve` and the registry's
    dispatch.solve_run honour a limit the same way.

    `progress` receives a dict {elapsed_s, phase, filled_priority, objective, seats_filled,
    bound, gap} when a phase ends and at most every 0.5 s during a search. `stop` is polled
    between phases and, from a watcher thread, while CP-SAT or SCIP run (so it must be
    cheap and thread-safe); once it returns True, solve raises Cancelled, within about
    0.1 s during a search. The min-cost flows hold the GIL and cannot be interrupted: a stop
    waits for the one running (measured here: up to ~2 s at 5,000 x 2,000, ~4 s at
    20,000 x 5,000).

    `workers` (default: default_workers()) is CP-SAT's num_workers wherever CP-SAT runs (the
    whole problem, and every LNS neighbourhood). `solve` returns as soon as the plan is
    proven optimal (filled priority and secondary terms), or once the filled priority is
    proven and the LNS found nothing better in STALL_NEIGHBOURHOODS neighbourhoods in a row;
    solver.time_to_proof_s is the elapsed time when the filled priority was proven, and
    solver.stop_reason says why the search ended.
    """
    workers = default_workers() if workers is None else max(1, int(workers))
    limit = time_limit(problem, time_limit_s)
    clock = Clock(limit, progress, started, Stop(stop))
    rng = np.random.default_rng(seed)
    model = build_model(problem, eligible_pairs(problem, stop=clock.stop))
    clock.report("eligibility", None)
    # Kept back for the final fill and build_plan (reasons, diagnoses, metrics), and for the
    # caller to write the plan out (to_dict and JSON: ~15 µs per request).
    reserve = (0.02 + 1e-5 * (model.n_req + len(problem.experts)) + limit * 0.01
               + 0.05 + 1.5e-5 * len(problem.requests))
    deadline = clock.deadline(reserve)
    small = len(model.req) <= EXACT_MAX_PAIRS
    plain = all(not r.days and r.seats == 1 for r in problem.requests)
    n_pairs = len(model.req)
    # Rough costs of the fixed phases on this kind of machine (2 cores), to skip what the
    # time limit cannot pay for; what was skipped is listed in solver["skipped"].
    cost_bound = 0.02 + 0.55e-6 * n_pairs
    cost_hint = 0.02 + 0.85e-6 * n_pairs
    cost_greedy = 0.01 + 2.5e-5 * model.n_req  # one of repair, the second start, hand dispatch
    skipped = []

    def left() -> float:
        return deadline - time.monotonic()

    flow_exact = False
    if left() > cost_bound:
        # The bound comes from the priority-only flow: a true upper bound on every path.
        chosen, _ = relax(model, priority_only=True)
        clock.bound = int(model.prio[chosen].sum())
    else:
        # No time for the flow: each request's priority times the seats it has pairs for.
        skipped.append("bound flow")
        chosen = np.zeros(n_pairs, dtype=bool)
        clock.bound = int((model.el.index.req_prio
                           * np.minimum(model.seats, np.diff(model.req_ptr))).sum())
    clock.report("bound", None)
    hint = chosen
    if left() > cost_hint + 2 * cost_greedy:
        if small or plain:
            # Without days or panels, rules 8 and 12 are void: the full flow is the optimum.
            hint, flow_exact = relax(model)
            flow_exact = flow_exact and plain
        else:
            hint, _ = relax(model, top_pairs(model, HINT_PAIRS_PER_REQUEST) | chosen)
    elif "bound flow" not in skipped:
        skipped.append("hint flow")
    clock.stop.check()
    if "bound flow" in skipped:
        # No flow to repair: start from hand dispatch itself, so the plan is never below
        # it (what follows only accepts improvements) and the guard is not needed.
        state = baseline_state(model)
    else:
        state = repair(model, hint)
    fill(state)
    clock.stop.check()
    if "bound flow" in skipped:
        pass  # the second start would be the same hand-dispatch order
    elif left() > 2 * cost_greedy:
        # A second start: hand-dispatch order steered by the hint; keep the better one.
        steered = guided(model, hint)
        fill(steered)
        if _rank(steered) > _rank(state):
            state = steered
    else:
        skipped.append("second start")
    clock.report("repair", state)
    proven = clock.bound == state.filled_priority()
    secondary_proven = flow_exact and proven
    proof = _Proof(clock)
    if proven:
        proof.mark()
    stop_reason = "proven optimal" if secondary_proven else "time limit"
    engine = "min-cost-flow bound + repair"
    if flow_exact:
        engine = "min-cost-flow (exact: no days, no panels)"
    elif small and left() > cost_greedy + 0.1:
        engine = "min-cost-flow + MIP (SCIP) for priority + CP-SAT (whole problem)"
        everyone = np.arange(model.n_req), np.arange(model.n_exp)
        if not proven:
            proven = max_priority(state, left() - cost_greedy - 0.3, stop=clock.stop)
            if proven:
                proof.mark()
            clock.report("mip priority", state)
        if left() > cost_greedy + 0.05:
            # CP-SAT returns as soon as it proves the whole problem optimal.
            _, status = optimise(state, *everyone, left() - cost_greedy, seed=seed,
                                 workers=workers, stop=clock.stop,
                                 secondary_gap=SECONDARY_GAP if proven else 0.0,
                                 stall_s=max(STALL_MIN_S, STALL_SHARE * limit) if proven
                                 else None)
            secondary_proven = status == "OPTIMAL"
            if status in ("WITHIN_TOLERANCE", "STALLED"):
                stop_reason = "no improvement" if status == "STALLED" else "within tolerance"
            if secondary_proven:
                stop_reason = "proven optimal"
                if not proven:  # the whole optimum holds the optimal filled priority too
                    proven = True
                    proof.mark()
            clock.report("cp-sat", state)
    elif not small and left() > cost_greedy + 0.1:
        engine = "min-cost-flow bound + repair + CP-SAT LNS"
        # Seats the flow filled but repair had to give up: where priority was lost.
        lost = np.unique(model.req[hint & ~state.chosen])
        lost = lost[state.filled[lost] < model.seats[lost]]
        stop_reason = _improve(state, deadline - cost_greedy, rng, clock, workers, proof,
                               first=lost)
        proven = clock.bound == state.filled_priority()
    else:
        skipped.append("MIP/CP-SAT" if small else "LNS")
    fill(state)
    clock.stop.check()
    guarded, hand = False, None
    if "bound flow" in skipped:
        pass  # the start was hand dispatch itself
    elif left() > cost_greedy or not skipped:
        before = state.filled_priority()
        hand = baseline_state(model)  # also shown beside the plan
        state, guarded = _not_below_baseline(model, state, hand)
        if guarded:
            # Hand dispatch won on the house objective: whatever CP-SAT or the flow proved
            # about the solver's plan says nothing about the secondary terms of this one.
            secondary_proven = False
            proven = clock.bound == state.filled_priority() or (
                proven and state.filled_priority() == before)
    else:
        skipped.append("baseline guard")
    if proven:
        proof.mark()  # no-op when already proven; else the guard's plan reached the bound
    clock.report("done", state)
    solver = {
        "engine": engine, "wall_s": round(clock.elapsed(), 3), "time_limit_s": limit,
        "status_text": _status_text(proven, secondary_proven),
        "priority_proven_optimal": proven, "secondary_proven_optimal": secondary_proven,
        "eligible_pairs": int(len(model.req)), "seed": seed, "workers": workers,
        "baseline_fallback": guarded, "skipped": skipped,
        "time_to_proof_s": proof.at if proven else None, "stop_reason": stop_reason,
    }
    return build_plan(model, state, "optimal" if proven else "feasible", clock.bound, solver,
                      hand_dispatch=hand)


def time_limit(problem: Problem, time_limit_s: float | None) -> float:
    """The limit asked for, else the problem's own, clamped to (0, MAX_TIME_LIMIT_S]."""
    limit = problem.settings.time_limit_s if time_limit_s is None else float(time_limit_s)
    if not math.isfinite(limit):  # the API is not validated like the file: be safe
        limit = problem.settings.time_limit_s
    return min(max(limit, 0.0), MAX_TIME_LIMIT_S)


class _Proof:
    """When the filled priority was first proven optimal (seconds since the clock's start)."""

    def __init__(self, clock: Clock):
        self.clock = clock
        self.at: float | None = None

    def mark(self) -> None:
        if self.at is None:
            self.at = round(self.clock.elapsed(), 3)


def _improve(state: State, deadline: float, rng: np.random.Generator, clock: Clock,
             workers: int, proof: _Proof, first: np.ndarray | None = None) -> str:
    """LNS rounds: neighbourhoods around open seats first, then around previous pairs lost.

    Returns why it stopped: "no improvement" when the filled priority reached the bound and
    STALL_NEIGHBOURHOODS neighbourhoods in a row found nothing better (or a whole round of
    neighbourhoods found nothing), else "time limit".
    """
    m = state.m

    def on_improve() -> None:
        if clock.bound == state.filled_priority():
            proof.mark()
        clock.tick("lns", state)

    def stalled() -> bool:  # asked by run_lns after each neighbourhood without improvement
        return clock.bound == state.filled_priority()

    rounds = 0
    if clock.bound == state.filled_priority():
        proof.mark()
    if first is not None and len(first):
        lost = first[np.argsort(-m.el.index.req_prio[first], kind="stable")]
        if run_lns(state, deadline, rng, [int(r) for r in lost] * 2, on_improve,
                   workers=workers, stop=clock.stop,
                   give_up=(STALL_NEIGHBOURHOODS, stalled)) < 0:
            return "no improvement"
    while time.monotonic() < deadline - 0.05 and rounds < 50:
        rounds += 1
        seeds = _seed_requests(state, rng)
        if not seeds:
            return "no improvement"
        found = run_lns(state, deadline, rng, seeds, on_improve, workers=workers,
                        stop=clock.stop, give_up=(STALL_NEIGHBOURHOODS, stalled))
        if found < 0 or (found == 0 and rounds > 2):
            return "no improvement"
    return "time limit" if time.monotonic() >= deadline - 0.05 else "no improvement"


def _seed_requests(state: State, rng: np.random.Generator) -> list[int]:
    """Requests with an open seat and some eligible expert, most urgent first (ties shuffled)."""
    m = state.m
    has_pairs = np.diff(m.req_ptr) > 0
    open_ = np.flatnonzero((state.filled < m.seats) & has_pairs)
    lost_prev = np.unique(m.req[m.prev & ~state.chosen])
    seeds = np.concatenate([open_, lost_prev])
    noise = rng.random(len(seeds))
    order = np.lexsort((noise, -m.el.index.req_prio[seeds]))
    # Then the longest trips: swapping experts around them shortens travel.
    chosen = np.flatnonzero(state.chosen)
    far = m.req[chosen[np.argsort(-m.el.km[chosen], kind="stable")[:2000]]]
    mixed = []
    for a, b in zip(seeds[order].tolist(), far.tolist(), strict=False):
        mixed += [a, b]
    longer = seeds[order] if len(seeds) > len(far) else far
    mixed += longer[min(len(seeds), len(far)):].tolist()
    return [int(r) for r in dict.fromkeys(mixed)]


def _not_below_baseline(model: Model, state: State, base: State) -> tuple[State, bool]:
    """Never return less filled priority than hand dispatch, nor at equal priority less fit.

    That is the promise made to coordinators: never worse than what they do today on the two
    things they look at first. At equal priority the solver's plan must also match hand
    dispatch's house objective; otherwise hand dispatch's plan is returned.
    """
    fill(base)
    if state.filled_priority() != base.filled_priority():
        keep = state.filled_priority() > base.filled_priority()
    else:
        keep = state.total_fit() >= base.total_fit() and state.objective() >= base.objective()
    return (state, False) if keep else (base, True)


def _status_text(proven: bool, secondary_proven: bool) -> str:
    if proven and secondary_proven:
        return "proven optimal (filled priority and secondary terms)"
    if proven:
        return "filled priority proven optimal; secondary terms best found in the time limit"
    return "time limit reached, best plan found"


def _rank(state: State) -> tuple[int, int]:
    return state.filled_priority(), state.objective()
