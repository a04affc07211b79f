"""The dispatch pipeline: eligibility -> hand dispatch -> flow bound and hint -> repair ->
CP-SAT -> guard -> plan, every phase against one deadline (docs/scheduler.md, "Time limit")."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable

import numpy as np

from scheduler.baseline import baseline_state
from scheduler.clock import Clock, Forked, Stop
from scheduler.eligibility import eligible_pairs
from scheduler.exact import max_priority
from scheduler.explain import build_plan
from scheduler.flow import hints_found
from scheduler.hints import run_flows, start_insurance
from scheduler.improve import improve, seats_lost
from scheduler.lns import cp_sat_load_s, optimise, run_lns
from scheduler.model import Model, State, build_model
from scheduler.plan import Plan
from scheduler.problem import MAX_TIME_LIMIT_S, Problem
from scheduler.repair import fill, guided, repair

EXACT_MAX_PAIRS = 40_000  # up to here CP-SAT gets the whole problem and may prove it
CP_SAT_S_PER_PAIR = 3e-5  # building a CP-SAT or MIP model of the whole problem in Python
# The starts from the hint sizes between the largest and the smallest take at most this
# share of the time left after the flows: the rest is the local search's, worth more at
# 20,000 x 5,000, while at 5,000 x 2,000 it pays for a few more starts.
EXTRA_START_SHARE = 0.1
LNS_MIN_S = 0.3  # a search shorter than this finds nothing worth its start-up
# Starts kept, after the one taken, for the time a stalled search leaves (_search_runners_up).
MAX_RUNNERS_UP = 3
# The best runner-up is improved too when that costs at most this share of the time left
# (its cost taken as the first start's): the search then goes on from the better one.
RUNNER_UP_SHARE = 0.15
MAX_SLOWDOWN = 3.0  # the most the measured load may multiply the costs above by
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
    0.1 s during a search. The min-cost flows hold the GIL, so the large ones run in forked
    children (clock.Forked) that are killed at their share of the deadline or on a stop.

    Hand dispatch is computed first, whatever the limit, and the answer is never below it
    on filled priority, nor at equal priority on fit (solver.baseline_fallback says when
    hand dispatch's own plan is returned).

    `workers` (default: default_workers()) is CP-SAT's num_workers wherever CP-SAT runs (the
    whole problem, and every LNS neighbourhood); with two or more, the bound and the hint
    flows run side by side. `solve` returns as soon as the plan is
    proven optimal (filled priority and secondary terms), or once the filled priority is
    proven and the LNS found nothing better in STALL_NEIGHBOURHOODS neighbourhoods in a row;
    solver.time_to_proof_s is the elapsed time when the filled priority was proven, and
    solver.stop_reason says why the search ended.
    """
    workers = default_workers() if workers is None else max(1, int(workers))
    limit = time_limit(problem, time_limit_s)
    clock = Clock(limit, progress, started, Stop(stop))
    # Eligibility
    model = build_model(problem, eligible_pairs(problem, stop=clock.stop))
    clock.report("eligibility", None)
    small = len(model.req) <= EXACT_MAX_PAIRS
    plain = all(not r.days and r.seats == 1 for r in problem.requests)
    with Forked() as children:
        # The smallest hint flow, in a child beside hand dispatch when it has a core.
        insured = start_insurance(model, workers, small or plain, children,
                                  clock.deadline(0) - time.monotonic(), quiet_greedy_s(model))
        # Hand dispatch: the floor, always computed first; it also measures the machine.
        hand, budget = _hand_dispatch(model, clock)
        clock.bound = seat_bound(model)
        clock.report("hand dispatch", hand)
        # Bound and hints: flows, killed at their share of the deadline if too slow.
        flows = run_flows(model, hand, budget, workers, clock, small or plain, children,
                          insured)
    out = _Outcome(_Proof(clock), bound_flow="bound" in flows)
    if out.bound_flow:  # the relaxation's priority: a true upper bound on every plan
        clock.bound = int(flows["bound"][0])
    clock.report("bound", hand)
    hints = [_mask(model, pairs) for _, pairs in hints_found(flows)]  # the largest first
    if hints:
        out.engine = "hand dispatch + min-cost-flow repair"
    hint = hints[0] if hints else None
    # Repair: the best of hand dispatch and the greedy starts the time pays for.
    state, runners_up = _first_plan(model, hand, hints, budget)
    clock.report("repair", state)
    out.update(state)
    if plain and "hint 0" in flows and out.proven \
            and state.objective() >= _objective_of(model, hint):
        out.exact("min-cost-flow (exact: no days, no panels)")
    # Local search: fast exchanges on the longest trips first (improve.py), then the LNS.
    # (Half a greedy pass kept back: the fill after it costs a fraction of one.)
    if not out.secondary_proven and budget.left() > budget.greedy / 2:
        state = _improve_start(state, runners_up, budget, clock, hand=hand, hint=hint)
        out.update(state)
        clock.report("improve", state)
    # Search: only ever replaces the plan by a better one.
    if not out.secondary_proven:
        state = _search(state, runners_up, budget, clock, out, seed, workers, small=small,
                        hand=hand, hint=hint)
    fill(state)
    clock.stop.check()
    # Guard: never below hand dispatch on filled priority, nor at equal priority on fit.
    state = _guard(model, state, hand, out)
    clock.report("done", state)
    solver = _report(state, out, clock, budget, flows) | {"seed": seed, "workers": workers}
    return build_plan(model, state, "optimal" if out.proven else "feasible", clock.bound,
                      solver, hand_dispatch=hand)


def _search(state: State, runners_up: list[State], budget: Budget, clock: Clock,
            out: _Outcome, seed: int, workers: int, *, small: bool, hand: State,
            hint: np.ndarray | None) -> State:
    """CP-SAT on the whole problem when it is small and fits in the time left; else the LNS
    (large problems, and small ones whose whole model does not fit), then the other starts
    if it stalls with time left. Returns the best plan found."""
    if small and budget.left() > _cp_sat_cost(state.m) * budget.slowdown + budget.greedy:
        _whole_problem(state, budget, clock, out, seed, workers)
    elif budget.left() > _lns_cost() * budget.slowdown + budget.greedy:
        out.engine += " + CP-SAT LNS"
        rng = np.random.default_rng(seed)
        out.stop_reason = _improve(state, budget.deadline - budget.greedy, rng, clock,
                                   workers, out.proof, first=seats_lost(state, hint))
        out.update(state)
        if out.stop_reason == "no improvement":
            state = _search_runners_up(state, runners_up, budget, clock, out, rng, workers,
                                       hand=hand, hint=hint)
    return state


def _report(state: State, out: _Outcome, clock: Clock, budget: Budget, flows: dict) -> dict:
    """The plan's solver report: how it was found, what was proven, what was skipped."""
    model = state.m
    return {
        "engine": out.engine, "wall_s": round(clock.elapsed(), 3),
        "time_limit_s": clock.limit_s,
        "status_text": _status_text(out.proven, out.secondary_proven),
        "priority_proven_optimal": out.proven,
        "secondary_proven_optimal": out.secondary_proven,
        "eligible_pairs": int(len(model.req)),
        "baseline_fallback": out.guarded, "skipped": budget.skipped(out.bound_flow, flows),
        "time_to_proof_s": out.proof.at if out.proven else None,
        "stop_reason": out.stop_reason,
        # The secondary terms as the search ranks plans of equal filled priority (higher is
        # better): the objective without its priority part. The benchmark compares runs by it.
        "secondary": int(state.objective() - model.big * state.filled_priority()),
    }


class _Outcome:
    """What the phases proved about the plan, and how: the solver report's facts."""

    def __init__(self, proof: _Proof, bound_flow: bool):
        self.proof, self.bound_flow = proof, bound_flow
        self.engine = "hand dispatch"
        self.proven = self.secondary_proven = self.guarded = False
        self.stop_reason = "time limit"

    def update(self, state: State) -> None:
        """The filled priority is proven once it reaches the flow's bound."""
        if self.bound_flow and self.proof.clock.bound == state.filled_priority():
            self.prove()

    def prove(self) -> None:
        self.proven = True
        self.proof.mark()

    def exact(self, engine: str) -> None:
        """The plan is proven optimal on every term."""
        self.prove()
        self.engine, self.secondary_proven, self.stop_reason = engine, True, "proven optimal"


def _hand_dispatch(model: Model, clock: Clock) -> tuple[State, Budget]:
    """Hand dispatch, and the budget of the phases after it: its measured time sizes the
    other greedy steps and, against its cost on a quiet machine, says how busy this one is
    (the time kept back to write the plan grows with that)."""
    entered = time.monotonic()
    hand = baseline_state(model)
    fill(hand)
    greedy = time.monotonic() - entered
    slowdown, deadline = busy_deadline(model, clock, greedy, quiet_greedy_s(model))
    budget = Budget(deadline)
    budget.greedy, budget.slowdown = greedy, slowdown
    return hand, budget


def busy_deadline(model: Model, clock: Clock, took_s: float,
                  quiet_s: float) -> tuple[float, float]:
    """How much slower than quiet the machine runs (a step that took `took_s`, against its
    `quiet_s` on a quiet machine), and the deadline of the solving phases: the time to
    write the plan kept back, grown with that slowdown."""
    # Capped: a burst of load while the step ran must not eat the whole limit.
    slowdown = min(MAX_SLOWDOWN, max(1.0, took_s / quiet_s))
    # write_reserve was measured on a busy machine already: half the slowdown on top.
    return slowdown, clock.deadline(write_reserve(model) * (1 + (slowdown - 1) / 2))


def _whole_problem(state: State, budget: Budget, clock: Clock, out: _Outcome, seed: int,
                   workers: int) -> None:
    """A MIP for the filled priority, then CP-SAT on the whole problem, in the time left."""
    model = state.m
    out.engine = "min-cost-flow + MIP (SCIP) for priority + CP-SAT (whole problem)"
    if not out.proven and out.bound_flow:
        if max_priority(state, budget.left() - budget.greedy - 0.3, stop=clock.stop):
            out.prove()
        clock.report("mip priority", state)
    if budget.left() <= _cp_sat_cost(model) * budget.slowdown + budget.greedy:
        return
    # CP-SAT returns as soon as it proves the whole problem optimal.
    proven = out.proven
    _, status = optimise(state, np.arange(model.n_req), np.arange(model.n_exp),
                         budget.left() - budget.greedy, seed=seed, workers=workers,
                         stop=clock.stop, secondary_gap=SECONDARY_GAP if proven else 0.0,
                         stall_s=max(STALL_MIN_S, STALL_SHARE * clock.limit_s) if proven
                         else None)
    if status in ("WITHIN_TOLERANCE", "STALLED"):
        out.stop_reason = "no improvement" if status == "STALLED" else "within tolerance"
    if status == "OPTIMAL":  # the whole optimum holds the optimal filled priority too
        out.exact(out.engine)
    clock.report("cp-sat", state)


def _guard(model: Model, state: State, hand: State, out: _Outcome) -> State:
    """The plan, or hand dispatch's when it is better on the house objective."""
    before = state.filled_priority()
    state, out.guarded = _not_below_baseline(model, state, hand)
    if out.guarded:
        # Whatever CP-SAT or the flow proved about the solver's plan says nothing about the
        # secondary terms of this one; its priority is proven if it is the same or at bound.
        out.secondary_proven = False
        was = out.proven and state.filled_priority() == before
        out.proven = False
        out.update(state)
        if was:
            out.prove()
    return state


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
             workers: int, proof: _Proof, first: np.ndarray | None = None,
             shown: State | None = None) -> str:
    """LNS rounds: neighbourhoods around open seats first, then around previous pairs lost.
    Progress reports show `shown` (default: `state`): the plan solve would return now.

    Returns why it stopped: "no improvement" when the filled priority reached the bound and
    STALL_NEIGHBOURHOODS neighbourhoods in a row found nothing better (or a whole round of
    neighbourhoods found nothing), else "time limit".
    """
    m = state.m

    def on_improve() -> None:
        if clock.bound == state.filled_priority():
            proof.mark()
        clock.tick("lns", state if shown is None else shown)

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


def _improve_start(state: State, runners_up: list[State], budget: Budget, clock: Clock, *,
                   hand: State, hint: np.ndarray | None) -> State:
    """The fast local search on the start, and, once it fills the bound's priority, on the
    best runner-up too when that costs at most RUNNER_UP_SHARE of the time left (or fits
    in it, when no search would follow): the better of the two after it goes on (the other
    takes its place among the runners-up).

    Why: the start that ranks first is not always the one the search improves most. At
    5,000 x 2,000 a larger flow's start (full priority) ended 2% below the runner-up
    (two units short) once both were improved, and a longer limit, which has that larger
    flow, then ended below a shorter one."""
    deadline = budget.deadline - budget.greedy / 2
    entered = time.monotonic()
    improve(state, deadline, floor=hand, hint=hint, tick=lambda: clock.tick("improve", state))
    took, left = time.monotonic() - entered, budget.left() - budget.greedy
    # When no search fits after it, the time left would go unused: all of it may be spent.
    searched = left > _lns_cost() * budget.slowdown
    # Below the bound, the search's time goes to priority, which it raises from any start.
    proven = state.filled_priority() == clock.bound
    if not runners_up or not proven or took > (RUNNER_UP_SHARE * left if searched else left):
        return state
    other = runners_up[0]
    improve(other, deadline, floor=hand, hint=hint,
            tick=lambda: clock.tick("improve", state))
    fill(other)
    fill(state)
    if _rank(other) > _rank(state):
        runners_up[0], state = state, other
    return state


def _search_runners_up(state: State, runners_up: list[State], budget: Budget, clock: Clock,
                       out: _Outcome, rng: np.random.Generator, workers: int, *, hand: State,
                       hint: np.ndarray | None) -> State:
    """The search stalled with time left: search again from the starts ranked after the one
    it took, best first, and keep the best plan.

    Why: the local search settles in a local optimum of the secondary terms that depends on
    its start. A shorter limit, with fewer flows, may start elsewhere and settle higher;
    searching the runners-up in time that would otherwise go unused keeps a longer limit
    from ending below it (quality must not fall as the limit grows)."""
    deadline = budget.deadline - budget.greedy
    for start in runners_up:
        if budget.left() < _lns_cost() * budget.slowdown + 2 * budget.greedy:
            out.stop_reason = "time limit"
            break
        improve(start, deadline - budget.greedy / 2, floor=hand, hint=hint,
                tick=lambda best=state: clock.tick("improve", best))
        out.stop_reason = _improve(start, deadline, rng, clock, workers, out.proof,
                                   first=seats_lost(start, hint), shown=state)
        fill(start)
        fill(state)
        if _rank(start) > _rank(state):
            state = start
            out.update(state)
            clock.report("lns", state)
    return state


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


class Budget:
    """The deadline of the solving phases, the measured cost of one greedy pass (hand
    dispatch's own time), and the phases the time did not pay for."""

    def __init__(self, deadline: float):
        self.deadline = deadline
        self.greedy = 0.0
        self.slowdown = 1.0  # how much slower than quiet the machine runs now
        self.cut: list[str] = []

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def skipped(self, bound_flow: bool, flows: dict) -> list[str]:
        """What the plan had to do without, for solver["skipped"] (reporting only)."""
        out = [] if bound_flow else ["bound flow"]
        if not hints_found(flows):
            out.append("hint flow")
        return out + self.cut


def write_reserve(model: Model) -> float:
    """Seconds kept back to explain the plan and write it out (measured: 0.46 s at
    20,000 x 5,000 on a quiet 2-core machine, about 20 us per seat busy: reasons,
    diagnoses, to_dict, JSON)."""
    return 0.03 + 2e-5 * int(model.seats.sum()) + 6e-6 * model.n_req


def quiet_greedy_s(model: Model) -> float:
    """Hand dispatch's time on a quiet 2-core machine (about 0.06 s at 5,000 x 2,000 and
    0.3 s at 20,000 x 5,000; 0.12 s and 0.55 s were measured at a load average of 6)."""
    return 0.005 + 8.5e-6 * model.n_req + 2.1e-8 * len(model.req)


def seat_bound(model: Model) -> int:
    """A bound without any flow: each request's priority times the seats it has pairs for."""
    return int((model.el.index.req_prio * np.minimum(model.seats, np.diff(model.req_ptr))).sum())


def _first_plan(model: Model, hand: State, hints: list[np.ndarray],
                budget: Budget) -> tuple[State, list[State]]:
    """The best of hand dispatch and the greedy starts the time left pays for, and the
    runners-up (at most MAX_RUNNERS_UP other starts, best first): for the
    largest and the smallest hint flow, hand-dispatch order steered by it and its repair
    (without a hint: the greedy by value); for the sizes between, the steered start while
    they cost at most EXTRA_START_SHARE of the time left. Each costs one or two hand
    dispatches (budget.greedy). A start the guard would refuse (hand dispatch's priority
    with less fit) is not taken."""
    taken = [hand.copy()]
    # (name, build, cost in hand dispatches: repair keeps the hint's pairs in one pass, the
    # others look up every request's open candidates, ~1.7 times hand dispatch's work).
    # The guided start first: it keeps hand dispatch's priority, repair often loses some.
    # A smaller hint's starts may still win: the flows drop rules 8 and 12.
    starts = [("value greedy", lambda: _pinned_only(model), 2, False)] if not hints else []
    ends = hints if len(hints) <= 2 else [hints[0], hints[-1]]  # the largest, the smallest
    for k, hint in enumerate(ends):  # (only the largest hint's skipped starts are reported)
        starts += [("second start" if k == 0 else "", lambda h=hint: guided(model, h), 2,
                    False),
                   ("repair" if k == 0 else "", lambda h=hint: repair(model, h), 1, False)]
    starts += [("", lambda h=hint: guided(model, h), 2, True) for hint in hints[1:-1]]
    extra_left = EXTRA_START_SHARE * budget.left()
    for name, make, cost, extra in starts:
        if budget.left() < (cost + 1) * budget.greedy:
            budget.cut += [name] if name else []
            continue
        if extra:  # the time the local search would have had
            extra_left -= cost * budget.greedy
            if extra_left < 0:
                break
        state = make()
        fill(state)
        if not _not_below_baseline(model, state, hand)[1] \
                and not any(np.array_equal(state.chosen, t.chosen) for t in taken):
            taken.append(state)
    taken.sort(key=_rank, reverse=True)  # stable: among equals, hand dispatch, then order
    return taken[0], taken[1:1 + MAX_RUNNERS_UP]


def _mask(model: Model, pairs: np.ndarray) -> np.ndarray:
    chosen = np.zeros(len(model.req), dtype=bool)
    chosen[pairs] = True
    return chosen


def _pinned_only(model: Model) -> State:
    state = State(model)
    for p in model.pinned:
        state.add(int(p))
    return state


def _objective_of(model: Model, chosen: np.ndarray | None) -> float:
    """The objective of a set of pairs taken as they are (the exact flow's optimum)."""
    if chosen is None:
        return math.inf
    state = State(model)
    for p in np.flatnonzero(chosen):
        state.add(int(p))
    return state.objective()


def _lns_cost() -> float:
    """Seconds an LNS needs to find anything: its start-up, and loading CP-SAT once."""
    return LNS_MIN_S + cp_sat_load_s()


def _cp_sat_cost(model: Model) -> float:
    """Seconds before a whole-problem CP-SAT or MIP can start searching."""
    return 0.1 + CP_SAT_S_PER_PAIR * len(model.req) + cp_sat_load_s()
