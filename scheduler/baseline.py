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
from scheduler.repair import open_candidates


def baseline_state(model: Model) -> State:
    """Run hand dispatch over the model's eligible pairs (pinned pairs first)."""
    m = model
    state = State(m)
    for p in m.pinned:
        state.add(int(p))
    options = np.diff(m.req_ptr)
    prio = m.el.index.req_prio
    order = np.lexsort((np.arange(m.n_req), options, -prio))
    km = m.el.km
    for r in order:
        r = int(r)
        if state.filled[r] >= m.seats[r] or options[r] == 0:
            continue
        ps = open_candidates(state, r)
        for p in ps[np.argsort(km[ps], kind="stable")]:
            if state.filled[r] >= m.seats[r]:
                break
            if state.can_add(int(p)):
                state.add(int(p))
    return state


def baseline_plan(problem: Problem) -> Plan:
    """The hand-dispatch plan of a problem, explained like a solver plan."""
    from scheduler.explain import build_plan

    model = build_model(problem)
    state = baseline_state(model)
    return build_plan(model, state, "feasible", None, {"engine": "hand-dispatch baseline"})
