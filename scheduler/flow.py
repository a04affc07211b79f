"""Min-cost-flow relaxation: rules 8 (double booking) and 12 (panels) dropped.

Source -> request (seats left) -> eligible pair (1) -> expert (capacity left, one
arc per unit with a rising fairness cost) -> sink, plus a free source -> sink arc
for seats left empty. Its filled priority is an upper bound for every plan; priority_bound
computes that bound alone with max flows, faster.
"""

from __future__ import annotations

import numpy as np

from scheduler.model import Model

# Coarse costs for hints: the secondary value in at most this many steps, each priority
# unit worth COARSE_PRIORITY of them (no realistic exchange of pairs trades one away).
COARSE_LEVELS, COARSE_PRIORITY = 1024, 1 << 16
# A restricted hint flow has each request's k best pairs by value and also its pairs with
# this many least contested experts (contention): with its best pairs alone, a request whose
# best experts are wanted elsewhere cannot be seated, and the flow loses priority the
# repair cannot win back (20,000 x 5,000 subgroup: k = 8 filled 67,637 of the bound's
# 67,931, k = 48 67,879; with the 4 least contested experts k = 8 fills 67,931).
UNCONTESTED_PAIRS = 4
# ... and the routes of a wider set, each request's best ROUTE_RANK pairs (and the above):
# the pairs the priority-level max flows over that set use (priority_routes). With them the
# flow fills the priority the wider set can fill (20,000 x 5,000 skewed, k = 8: 58,989 of
# the bound's 59,068 without them, 59,068 with them), in about half the time the value
# flow over the wider set would take.
ROUTE_RANK = 48


def relax(model: Model, free: np.ndarray | None = None,
          coarse: bool = False) -> tuple[np.ndarray, bool]:
    """Solve the relaxation over the `free` pairs (default all).

    Returns (chosen pair mask including pinned pairs, solved to optimality). With `coarse`
    the values are rounded to COARSE_LEVELS steps (a hint, ~25% faster: the cost-scaling
    algorithm's rounds grow with the log of the largest cost).
    """
    from ortools.graph.python import min_cost_flow  # ~0.1 s to load: only when a flow runs

    m = model
    seats, cap, chosen = _left_after_pins(m)
    pins_per_exp = m.cap - cap
    arcs = ~chosen if free is None else (~chosen & free)
    arcs &= (seats[m.req] > 0) & (cap[m.exp] > 0)
    pair_ids = np.flatnonzero(arcs)
    n_req, n_exp = m.n_req, m.n_exp
    source, sink = n_req + n_exp, n_req + n_exp + 1
    total = int(seats[seats > 0].sum())
    if len(pair_ids) == 0 or total == 0:
        return chosen, True
    flow = min_cost_flow.SimpleMinCostFlow()
    value, step = m.value[pair_ids], 1
    if coarse:
        sec = value - m.prio[pair_ids] * m.big
        low = int(sec.min())
        step = max(1, -(-(int(sec.max()) - low) // COARSE_LEVELS))
        value = m.prio[pair_ids] * COARSE_PRIORITY + (sec - low) // step
    # Pair arcs: request node r -> expert node n_req + e, one unit, cost = -value.
    flow.add_arcs_with_capacity_and_unit_cost(
        m.req[pair_ids].astype(np.int32), (n_req + m.exp[pair_ids]).astype(np.int32),
        np.ones(len(pair_ids), dtype=np.int64), -value)
    rs = np.flatnonzero(seats > 0)
    flow.add_arcs_with_capacity_and_unit_cost(
        np.full(len(rs), source, dtype=np.int32), rs.astype(np.int32),
        seats[rs].astype(np.int64), np.zeros(len(rs), dtype=np.int64))
    # Expert capacity, one unit arc per further assignment, each dearer than the last.
    usable = capacity_units(cap, m.exp[pair_ids], n_exp)
    tails, costs = [], []
    for e in np.flatnonzero(usable > 0):
        for k in range(int(usable[e])):
            tails.append(n_req + e)
            costs.append(m.fair_cost(int(e), int(pins_per_exp[e]) + k + 1) // step)
    flow.add_arcs_with_capacity_and_unit_cost(
        np.array(tails, dtype=np.int32), np.full(len(tails), sink, dtype=np.int32),
        np.ones(len(tails), dtype=np.int64), np.array(costs, dtype=np.int64))
    flow.add_arc_with_capacity_and_unit_cost(source, sink, total, 0)
    flow.set_node_supply(source, total)
    flow.set_node_supply(sink, -total)
    status = flow.solve()
    if status != flow.OPTIMAL:
        return chosen, False
    used = flow.flows(np.arange(len(pair_ids), dtype=np.int32)) > 0
    chosen[pair_ids[used]] = True
    return chosen, True


def capacity_units(cap: np.ndarray, pair_exp: np.ndarray, n_exp: int) -> np.ndarray:
    """Unit arcs per expert: its spare capacity, but never more than its pairs in the flow
    (max_concurrent may be 10,000; more units than pairs could never carry flow)."""
    return np.minimum(np.maximum(cap, 0), np.bincount(pair_exp, minlength=n_exp))


def pair_rank(model: Model) -> np.ndarray:
    """Each pair's rank among its request's pairs by value, best first (0), ties in pair
    order."""
    m = model
    # A small sort per request (pairs are grouped by request) beats one sort of all pairs
    # by (request, value): 0.35 s against 0.9 s at 20,000 x 5,000.
    neg = m.prio * m.big - m.value
    rank = np.empty(len(neg), dtype=np.int64)
    ptr = m.req_ptr.tolist()
    steps = np.arange(int(np.diff(m.req_ptr).max(initial=0)))
    for r in range(m.n_req):
        lo, hi = ptr[r], ptr[r + 1]
        if hi > lo:
            rank[lo + np.argsort(neg[lo:hi], kind="stable")] = steps[:hi - lo]
    return rank


def least_contested(model: Model, n: int) -> np.ndarray:
    """Mask of each request's pairs with its `n` least contested experts: those with the
    fewest eligible pairs per unit of capacity (ties by expert index). Found by taking
    each request's least contested expert n times over (a vectorised minimum per request;
    an expert appears once per request, so each round marks one pair per request)."""
    m = model
    contention = np.bincount(m.exp, minlength=m.n_exp) / np.maximum(m.cap, 1)
    place = np.empty(m.n_exp, dtype=np.int32)  # (int32: 4 bytes a pair at 24 M pairs)
    place[np.argsort(contention, kind="stable")] = np.arange(m.n_exp, dtype=np.int32)
    left = place[m.exp]
    taken = np.zeros(len(left), dtype=bool)
    sizes = np.diff(m.req_ptr)
    starts = m.req_ptr[:-1][sizes > 0]
    for _ in range(n):
        least = np.repeat(np.minimum.reduceat(left, starts), sizes[sizes > 0])
        now = (left == least) & (left < m.n_exp)
        taken |= now
        left[now] = m.n_exp  # (beyond every place: never the least again)
    return taken


def _left_after_pins(m: Model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(seats left per request, capacity left per expert, pinned pair mask)."""
    seats, cap = m.seats.copy(), m.cap.copy()
    chosen = np.zeros(len(m.req), dtype=bool)
    chosen[m.pinned] = True
    np.subtract.at(seats, m.req[m.pinned], 1)
    np.subtract.at(cap, m.exp[m.pinned], 1)
    return seats, cap, chosen


def priority_bound(model: Model) -> int | None:
    """The relaxation's filled priority (an upper bound on every plan's) without its pairs;
    None if a flow fails.

    Why max flows: with the secondary terms dropped, a pair is worth its request's priority
    alone, and the sets of seats a flow can fill together form a matroid (a gammoid), on
    which the greedy by weight is optimal. So the best fill takes as many seats of priority
    5 as can be filled, then as many of priority >= 4 as can be, and so on: the bound is
    the pinned pairs' priority plus, for each level p, the maximum flow through the
    requests of priority >= p (the levels 1 apart: each unit of priority p counts once at
    every level up to p). Five max flows (push-relabel) take about half the time of the
    one min-cost flow with priority costs (1.8 s against 3.6 s at 20,000 x 5,000 on a
    slow machine).
    """
    found = _level_flows(model)
    return None if found is None else found[0]


def priority_routes(model: Model, allowed: np.ndarray) -> np.ndarray | None:
    """Mask of the pairs that priority_bound's max flows, run over the `allowed` pairs
    only, use (any level's); None if a flow fails.

    Why: a flow over any superset of them fills as much priority as one over all `allowed`
    pairs. Each level's flow is a maximum one of the allowed graph and lies in the routes,
    so in the smaller graph every level's maximum is the same, and the greedy by weight
    (priority_bound's matroid argument) fills the same priority there."""
    found = _level_flows(model, allowed, routes=True)
    return None if found is None else found[1]


def _level_flows(model: Model, allowed: np.ndarray | None = None,
                 routes: bool = False) -> tuple[int, np.ndarray | None] | None:
    """The max flows per priority level over the `allowed` pairs (default all): the filled
    priority they give and, with `routes`, the mask of the pairs they use."""
    from ortools.graph.python import max_flow  # loaded only when a flow runs

    m = model
    seats, cap, chosen = _left_after_pins(m)
    bound = int(m.prio[chosen].sum())
    usable = ~chosen & (seats[m.req] > 0) & (cap[m.exp] > 0)
    pair_ids = np.flatnonzero(usable if allowed is None else usable & allowed)
    used = np.zeros(len(m.req), dtype=bool) if routes else None
    req_prio = m.el.index.req_prio
    n_req, n_exp = m.n_req, m.n_exp
    source, sink = n_req + n_exp, n_req + n_exp + 1
    experts = np.flatnonzero(cap > 0)
    pair_prio = req_prio[m.req[pair_ids]]
    previous = 1
    for level in np.unique(pair_prio).tolist():
        above = pair_prio >= level
        pair_ids, pair_prio = pair_ids[above], pair_prio[above]
        rs = np.flatnonzero((seats > 0) & (req_prio >= level))
        flow = max_flow.SimpleMaxFlow()
        flow.add_arcs_with_capacity(m.req[pair_ids].astype(np.int32),
                                    (n_req + m.exp[pair_ids]).astype(np.int32),
                                    np.ones(len(pair_ids), dtype=np.int64))
        flow.add_arcs_with_capacity(np.full(len(rs), source, dtype=np.int32),
                                    rs.astype(np.int32), seats[rs].astype(np.int64))
        flow.add_arcs_with_capacity((n_req + experts).astype(np.int32),
                                    np.full(len(experts), sink, dtype=np.int32),
                                    cap[experts].astype(np.int64))
        if flow.solve(source, sink) != flow.OPTIMAL:
            return None
        # The flow through priority >= level counts for every level from the last one up.
        bound += (level - previous + 1) * flow.optimal_flow()
        previous = level + 1
        if used is not None:  # (the pair arcs are the flow's first, in pair_ids order)
            used[pair_ids[flow.flows(np.arange(len(pair_ids), dtype=np.int32)) > 0]] = True
    return bound, used


def bound_flow(model: Model):
    """Producer for clock.Forked: the relaxation's filled priority ("bound", one
    value)."""
    bound = priority_bound(model)
    if bound is not None:  # a flow that failed bounds nothing
        yield "bound", np.array([bound], dtype=np.int64)


def hint_flows(model: Model, sizes: tuple[int, ...], keep: np.ndarray | None = None,
               routed: bool = True):
    """Producer for clock.Forked: value flows over each request's best `k` pairs, its
    pairs with the UNCONTESTED_PAIRS least contested experts and the `keep` pairs (e.g. hand
    dispatch's, so the hint can fill as much priority), and, for k < ROUTE_RANK when
    `routed`, the routes of the best ROUTE_RANK pairs, for each k of `sizes` (0: all pairs),
    each sent as hint_name(k) as soon as it is solved; the caller finds them with
    hints_found."""
    restricted = [k for k in sizes if k]
    rank = pair_rank(model) if restricted else None
    base = least_contested(model, UNCONTESTED_PAIRS) if restricted else None
    if base is not None and keep is not None:
        base |= keep
    routed = routed and any(k < ROUTE_RANK for k in restricted)
    if routed:
        routes = priority_routes(model, (rank < ROUTE_RANK) | base)
        narrow = base if routes is None else base | routes
    for k in sizes:
        free = None
        if k:
            free = (rank < k) | (narrow if routed and k < ROUTE_RANK else base)
        chosen, solved = relax(model, free, coarse=k > 0)
        if solved:  # a failed flow is no hint, and must not pass for the exact optimum
            yield hint_name(k), np.flatnonzero(chosen)


def hint_name(k: int) -> str:
    return f"hint {k}"


def hints_found(results: dict) -> list[tuple[int, np.ndarray]]:
    """(k, pairs) of every hint flow among the flows' results (clock.Forked.collect), the
    largest first (k = 0: all pairs, the largest of all)."""
    sizes = [int(name.split()[1]) for name in results if name.startswith("hint ")]
    order = sorted(sizes, key=lambda k: -np.inf if k == 0 else -k)
    return [(k, results[hint_name(k)]) for k in order]


def hint_arcs(model: Model, k: int) -> int:
    """Pair arcs of the hint flow over each request's best k pairs and least contested
    ones (at most k + UNCONTESTED_PAIRS; 0: all pairs), not counting the kept pairs beyond
    them (at most one per seat)."""
    options = np.diff(model.req_ptr)
    return int(options.sum() if k == 0 else np.minimum(options, k + UNCONTESTED_PAIRS).sum())
