"""Hand dispatch, the way a coordinator would do it, as the yardstick for the solver.

Most urgent request first (priority descending), then the request with the fewest
eligible experts, and for each seat the nearest expert who still satisfies all 13
rules given what is already assigned.
"""

from __future__ import annotations

import numpy as np

from scheduler.model import Model, State, build_model
from scheduler.plan import Plan
from scheduler.problem import Problem


def baseline_state(model: Model) -> State:
    """Run hand dispatch over the model's eligible pairs (pinned pairs first)."""
    m = model
    state = State(m)
    for p in m.pinned:
        state.add(int(p))
    options = np.diff(m.req_ptr)
    prio = m.el.index.req_prio
    order = np.lexsort((np.arange(m.n_req), options, -prio))
    km, value, load, cap, filled = m.el.km, m.value, state.load, m.cap, state.filled
    ptr, seats = m.req_ptr.tolist(), m.seats.tolist()
    for r in order[options[order] > 0].tolist():
        if filled[r] >= seats[r]:
            continue
        # The experts with room left, nearest first (ties: the better pair); can_add then
        # checks double booking, panel independence and pinned pairs one at a time.
        lo, hi = ptr[r], ptr[r + 1]
        es = m.exp[lo:hi]
        free = np.flatnonzero(load[es] < cap[es]) + lo
        if len(free) == 0:
            continue
        # Most requests take their first choice: find it without sorting every candidate.
        first = _nearest(free, km, value)
        if state.can_add(first):
            state.add(first)
            if filled[r] >= seats[r]:
                continue
        if len(free) > 1:
            free = free[np.lexsort((-value[free], km[free]))]
        for p in free.tolist():
            if state.can_add(p):
                state.add(p)
                if filled[r] >= seats[r]:
                    break
    return state


def _nearest(pairs: np.ndarray, km: np.ndarray, value: np.ndarray) -> int:
    """The first of `pairs` in hand dispatch's order: nearest, then the most valuable,
    then the lowest index (what np.lexsort((-value, km)) puts first)."""
    dist = km[pairs]
    tied = pairs[dist == dist.min()]
    return int(tied[np.argmax(value[tied])]) if len(tied) > 1 else int(tied[0])


def baseline_plan(problem: Problem) -> Plan:
    """The hand-dispatch plan of a problem, explained like a solver plan."""
    from scheduler.explain import build_plan

    model = build_model(problem)
    state = baseline_state(model)
    return build_plan(model, state, "feasible", None, {"engine": "hand-dispatch baseline"})
