"""Turn a relaxed (flow) selection into a feasible plan, then refill open seats greedily."""

from __future__ import annotations

import numpy as np

from scheduler.model import Model, State


def repair(model: Model, chosen: np.ndarray) -> State:
    """Keep pinned pairs, then the flow's pairs by value while rules 8, 9, 10, 12 allow."""
    state = State(model)
    for p in model.pinned:
        state.add(int(p))
    picked = np.flatnonzero(chosen & ~state.chosen)
    for p in picked[np.argsort(-model.value[picked], kind="stable")]:
        if state.can_add(int(p)):
            state.add(int(p))
    return state


def open_candidates(state: State, r: int) -> np.ndarray:
    """Pairs of request r that could be added now, best value first."""
    m = state.m
    ps = np.arange(m.req_ptr[r], m.req_ptr[r + 1])
    if len(ps) == 0:
        return ps
    ps = ps[~state.chosen[ps]]
    es = m.exp[ps]
    ok = state.load[es] < m.cap[es]
    days = m.req_days[r]
    if len(days):
        ok &= ~state.occ[np.ix_(es, days)].any(axis=1)
    ps = ps[ok]
    return ps[np.argsort(-m.value[ps], kind="stable")]


def fill(state: State, requests: np.ndarray | None = None) -> int:
    """Fill open seats, most urgent requests first, with the best pair still allowed."""
    m = state.m
    whole = requests is None
    if whole:
        if state.settled:  # nothing changed since the last fill of every request
            return 0
        requests = np.flatnonzero(state.filled < m.seats)
    # Only requests with a pair whose expert has room left (vectorised over all pairs; the
    # loop below only fills experts up, so no other request can gain a candidate).
    free = np.r_[0, np.cumsum((state.load[m.exp] < m.cap[m.exp]) & ~state.chosen)]
    requests = requests[free[m.req_ptr[requests + 1]] > free[m.req_ptr[requests]]]
    requests = requests[np.argsort(-m.el.index.req_prio[requests], kind="stable")]
    added = 0
    for r in requests:
        r = int(r)
        if state.filled[r] >= m.seats[r]:
            continue
        for p in open_candidates(state, r):
            if state.filled[r] >= m.seats[r]:
                break
            if state.can_add(int(p)):
                state.add(int(p))
                added += 1
    # After a pass over every request a second one adds nothing: adding only blocks.
    state.settled = whole
    return added


def guided(model: Model, hint: np.ndarray) -> State:
    """Hand-dispatch order (urgent first, fewest options first), taking the hint's experts.

    Greedy in priority order keeps the priority of hand dispatch; following the flow's
    choices where they still fit keeps the flow's fit and travel.
    """
    m = model
    state = State(m)
    for p in m.pinned:
        state.add(int(p))
    options = np.diff(m.req_ptr)
    order = np.lexsort((np.arange(m.n_req), options, -m.el.index.req_prio))
    hinted, ptr = _hint_pairs(m, hint)
    for r in order[options[order] > 0].tolist():
        # The hint's pairs first, best value first: State.can_add on each is all the
        # open-candidate search below would do for them, at a fraction of its cost.
        for p in hinted[ptr[r]:ptr[r + 1]]:
            if state.filled[r] >= m.seats[r]:
                break
            if state.can_add(p):
                state.add(p)
        if state.filled[r] >= m.seats[r]:
            continue
        # Then the other open pairs, best value first (the hint's ones left cannot fit).
        for p in open_candidates(state, r).tolist():
            if state.filled[r] >= m.seats[r]:
                break
            if not hint[p] and state.can_add(p):
                state.add(p)
    return state


def _hint_pairs(model: Model, hint: np.ndarray) -> tuple[list[int], list[int]]:
    """The hint's pairs grouped by request, best value first (ties in pair order), and
    each request's start in that list."""
    pairs = np.flatnonzero(hint)
    pairs = pairs[np.lexsort((-model.value[pairs], model.req[pairs]))]
    ptr = np.searchsorted(model.req[pairs], np.arange(model.n_req + 1))
    return pairs.tolist(), ptr.tolist()
