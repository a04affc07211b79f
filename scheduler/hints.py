"""The min-cost flows a solve runs in its time: the priority-only flow (the bound) and the
value flows over each request's best k pairs (the hints), sized from a measured cost model
and, when large or close to the time left, run in forked children killed at their share
of the deadline (docs/scheduler.md, "Time limit")."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from scheduler.clock import Clock, Forked
from scheduler.flow import ROUTE_RANK, bound_flow, hint_arcs, hint_flows, hint_name
from scheduler.model import Model, State

if TYPE_CHECKING:
    from scheduler.solve import Budget

# The hint flow runs over all pairs up to this many; above, over each request's best k
# pairs (and hand dispatch's), k the largest of HINT_SIZES whose flow fits in the time.
FULL_HINT_PAIRS = 1_500_000
HINT_SIZES = (8, 16, 24, 32, 48, 64, 96, 128, 192, 256)  # then all pairs
# Measured cost model (quiet 2 cores, times the slowdown; docs/scheduler.md, "Time limit").
FLOW_S_PER_PAIR = 2.5e-6  # a value (hint) flow, per pair arc (2.1-4 us at 20,000 x 5,000)
FLOW_FIXED_S = 0.3  # building one flow's graph (capacity arcs) and reading its result
BOUND_S_PER_PAIR = 4e-7  # flow.priority_bound, per eligible pair (0.37 us)
# Once before the restricted hint flows: flow.pair_rank, per request, and
# flow.least_contested, per pair (0.1 s at 20,000 x 5,000 on a slow machine), and the
# routes (restricted_prep_s).
RANK_S_PER_REQUEST, CONTESTED_S_PER_PAIR = 1.2e-5, 1.5e-8
FLOW_SHARE = 0.7  # of the time left after hand dispatch, at most, for the flows
INLINE_FLOW_PAIRS = 300_000  # up to here a flow that surely fits runs in-process (no fork)
# The smallest hint starts beside hand dispatch when the time left is under this many times
# their quiet cost (start_insurance): 5,000 x 2,000 with 2 s and 20,000 x 5,000 with 5 s,
# not 5,000 x 2,000 with 5 s nor 20,000 x 5,000 with 10 s.
INSURE_WITHIN = 4.0


def start_insurance(model: Model, workers: int, exact: bool, children: Forked,
                    time_left: float, hand_s: float) -> int | None:
    """Start the smallest hint flow in a forked child now, before hand dispatch, when the
    time left is short (under INSURE_WITHIN times the quiet cost of that flow and of hand
    dispatch, `hand_s`), it would run forked anyway and a second core is there for it: it
    then runs beside hand dispatch instead of after it, and a short limit, whose flows get
    only what hand dispatch leaves, still has a hint. (Without hand dispatch's pairs: the
    pairs of each request's least contested experts stand in for them.) Not with more
    time: beside the child, hand dispatch runs up to 60% slower (the forked pages it
    touches are copied), which sizes every later step smaller. Without the routes either
    (flow.ROUTE_RANK), which would take a quarter longer. Returns its k, or None when none
    was started."""
    if workers < 2 or exact or len(model.req) <= INLINE_FLOW_PAIRS:
        return None
    sizes = restricted_sizes(model)
    if not sizes:
        return None
    quiet = quiet_flow_s(model, sizes[0]) + hand_s
    if time_left > INSURE_WITHIN * quiet:
        return None
    _import_flows()
    children.start(lambda: hint_flows(model, (sizes[0],), routed=False))
    return sizes[0]


def run_flows(model: Model, hand: State, budget: Budget, workers: int, clock: Clock,
              exact: bool, children: Forked | None = None, insured: int | None = None) -> dict:
    """Run the bound flow and the hint flows within their share of the time left.

    Returns what finished: "bound" (the relaxation's filled priority, one value) and the hints
    (flow.hints_found: the pairs of each value flow solved, by its k). Beyond
    INLINE_FLOW_PAIRS, or when the estimate is close to the time left, they run in forked
    children that are killed at the deadline (a flow holds the GIL and cannot be stopped
    in-process). With two workers or more, the largest hint that fits runs in one child,
    and the smallest (insurance against a wrong estimate) then the bound in the other.
    `children` may already run the smallest (start_insurance: its k is `insured`); the
    others join them there.
    """
    n = len(model.req)
    # The flows get most of the time left, the repair after them two greedy passes, and
    # the search at least the rest of FLOW_SHARE.
    share = min(budget.left() - 2.5 * budget.greedy - 0.05, FLOW_SHARE * budget.left())
    if n == 0:  # nothing to choose: hand dispatch (the pinned pairs) is the optimum
        return {"bound": np.zeros(1, dtype=np.int64), hint_name(0): np.zeros(0, dtype=np.int64)}
    children = children if children is not None else Forked()
    if share <= 0:
        return children.collect(0.0, clock.stop)  # (the insurance, if it is in already)
    keep = hand.chosen.copy()

    def hints(*ks):
        return lambda: hint_flows(model, ks, keep)

    def bound():
        return bound_flow(model)

    def cost(k: int) -> float:  # a hint flow's estimated seconds on this machine now
        return budget.slowdown * quiet_flow_s(model, k)

    # The full flow is the hint when exact (and, without days or panels, the optimum).
    small, big = (0, 0) if exact else hint_sizes(model, share, budget.slowdown, cost)
    bound_s = budget.slowdown * BOUND_S_PER_PAIR * n
    if workers >= 2:  # one child: the largest hint; the other: the smallest, then the bound
        others = [hints(small)] if small not in (big, insured) else []
        with_bound = bound_s + (cost(small) if others else 0.0) < share
        # Started even when not expected in time (its core is free): taken if it comes in
        # before the hints, not waited for.
        producers = [hints(big)] if big != insured else []
        producers.append(_chain(*others, bound))
    else:  # one child for all: the smallest, the bound, the largest that fits after them
        chain, room = [hints(small)], share - cost(small)
        with_bound = bound_s < room
        if with_bound:
            chain, room = chain + [bound], room - bound_s
        if not exact:
            big = hint_sizes(model, room, budget.slowdown, cost)[1]
        producers = [_chain(*chain, hints(big)) if big != small else _chain(*chain)]
    # (With one worker, a bound that cannot finish in the share is not started: the phases
    # after the flows get the time instead of waiting for a child that would be killed.)
    planned = cost(big) + (cost(small) if small != big else 0.0) + bound_s
    if insured is None and n <= INLINE_FLOW_PAIRS and 4 * planned < share:
        return {name: arr for produce in producers for name, arr in produce()}
    _import_flows()
    wanted = {hint_name(small), hint_name(big)} | ({"bound"} if with_bound else set())
    if workers >= 2 and small != big:
        # The second child goes on with the sizes between: more starts, which a larger
        # limit then has too (quality should not fall as the limit grows). Nobody waits
        # for them: the children are stopped once the planned flows are in.
        producers[-1] = _chain(producers[-1], hints(*sizes_between(model, small, big)))
    with children:
        for produce in producers:
            children.start(produce)
        return children.collect(share, clock.stop, enough=lambda got: wanted <= got.keys())


def _import_flows() -> None:
    """Load OR-Tools' flow modules (~0.1 s) here, before forking, not in every child."""
    from ortools.graph.python import max_flow, min_cost_flow  # noqa: F401


def restricted_sizes(model: Model) -> list[int]:
    """The sizes of HINT_SIZES that leave some request pairs out (below its most pairs)."""
    most = int(np.diff(model.req_ptr).max())
    return [k for k in HINT_SIZES if k < most]


def hint_sizes(model: Model, share: float, slowdown: float, cost) -> tuple[int, int]:
    """(smallest, largest) k of the restricted hint flows for this problem (0: all pairs):
    the largest is the largest whose estimated cost fits in `share`, else the smallest."""
    sizes = restricted_sizes(model)
    if len(model.req) <= FULL_HINT_PAIRS or not sizes:
        sizes.append(0)
    once = slowdown * restricted_prep_s(model, sizes[0]) if sizes[0] else 0.0
    fitting = [k for k in sizes if once + cost(k) <= share]
    return sizes[0], fitting[-1] if fitting else sizes[0]


def quiet_flow_s(model: Model, k: int) -> float:
    """A hint flow's estimated seconds on a quiet machine (k = 0: all pairs)."""
    return FLOW_FIXED_S + FLOW_S_PER_PAIR * hint_arcs(model, k)


def restricted_prep_s(model: Model, k: int) -> float:
    """What a child computes once before its restricted hint flows (the smallest `k`), on a
    quiet machine: flow.pair_rank, flow.least_contested and, for k < ROUTE_RANK, the routes
    (max flows over each request's best ROUTE_RANK pairs, costed like the bound's)."""
    routes = BOUND_S_PER_PAIR * hint_arcs(model, ROUTE_RANK) if k < ROUTE_RANK else 0.0
    return RANK_S_PER_REQUEST * model.n_req + CONTESTED_S_PER_PAIR * len(model.req) + routes


def sizes_between(model: Model, small: int, big: int) -> tuple[int, ...]:
    """The restricted hint sizes larger than `small` and smaller than `big` (0: all pairs)."""
    return tuple(k for k in restricted_sizes(model) if small < k and (big == 0 or k < big))


def _chain(*producers):
    """One producer that runs the given ones in turn (in one child)."""
    def chained():
        for produce in producers:
            yield from produce()
    return chained
