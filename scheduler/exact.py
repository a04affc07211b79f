"""Prove the best filled priority of a small problem with a MIP (SCIP, else CBC)."""

from __future__ import annotations

import time

import numpy as np

from scheduler.clock import NEVER, Stop
from scheduler.lns import add_one_procedure, constraint_groups
from scheduler.model import State


def max_priority(state: State, time_limit_s: float, stop: Stop = NEVER) -> bool:
    """Replace the free pairs by a plan of proven maximum filled priority, if found in time.

    Pinned pairs stay. Returns True when the optimum was proven and installed. A stop
    request interrupts SCIP and raises Cancelled.
    """
    entered = time.monotonic()  # the limit covers loading SCIP and building the model
    from ortools.linear_solver import pywraplp  # loaded only when a MIP runs

    m = state.m
    pinned = np.zeros(len(m.req), dtype=bool)
    pinned[m.pinned] = True
    old = np.flatnonzero(state.chosen & ~pinned)
    hint_mask = state.chosen.copy()
    for p in old:
        state.remove(int(p))
    allowed = np.array([p for p in range(len(m.req)) if state.can_add(p)], dtype=np.int64)
    solver = pywraplp.Solver.CreateSolver("SCIP") or pywraplp.Solver.CreateSolver("CBC")
    if solver is None or len(allowed) == 0:
        for p in old:
            state.add(int(p))
        return len(allowed) == 0
    # assign[p] is 1 when pair p is in the plan.
    assign = {int(p): solver.BoolVar(f"assign[{m.req[p]},{m.exp[p]}]") for p in allowed}
    # Seats, workload, panel independence and per-day double booking, as <= rows.
    for pairs, rhs in constraint_groups(m, state, allowed):
        solver.Add(sum(assign[p] for p in pairs) <= rhs)
    # Rule one_procedure: one procedure of a dispute per expert.
    add_one_procedure(m, assign, allowed, solver.BoolVar, solver.Add)
    # Lexicographic objective: priority weighted 2 * big, where big exceeds the range of
    # the secondary total over all plans (model.lexicographic_big). A plan one priority
    # unit short of the optimum has a gap of at least 2 * big - (big - 1) = big + 1, so a
    # gap <= 3/4 big proves the priority part optimal, with room for float round-off.
    sec = m.value[allowed] - m.prio[allowed] * m.big
    weight, gap = 2 * m.big, m.big // 2
    if weight * int(m.prio[allowed].sum()) > 2**50:
        # Extreme weights: SCIP works in doubles, so prove the priority alone (exact
        # small integers) and leave the secondary terms to CP-SAT.
        sec, weight, gap = np.zeros_like(sec), 1, 0
    solver.Maximize(sum((int(m.prio[p]) * weight + int(v)) * assign[int(p)]
                        for p, v in zip(allowed.tolist(), sec.tolist(), strict=True)))
    solver.SetSolverSpecificParametersAsString(f"limits/absgap = {gap}\n")
    hint = [p for p in allowed.tolist() if hint_mask[p]]
    if hint:
        solver.SetHint([assign[p] for p in hint], [1.0] * len(hint))
    left = time_limit_s - (time.monotonic() - entered)
    solver.SetTimeLimit(int(min(max(0.01, left), 3600.0) * 1000))
    with stop.interrupting(solver.InterruptSolve):
        status = solver.Solve()
    if status in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        bound = solver.Objective().BestBound()
        value = solver.Objective().Value()
        if status == pywraplp.Solver.OPTIMAL or bound - value <= 0.75 * weight / 2:
            new = [p for p in allowed.tolist() if assign[p].solution_value() > 0.5]
            for p in sorted(new, key=lambda p: -m.value[p]):
                state.add(p)
            return True
    for p in old:
        state.add(int(p))
    return False
