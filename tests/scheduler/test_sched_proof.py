"""Stop when proven: once the plan is proven optimal (or the filled priority is proven and
the search stalls within the documented tolerance), solve returns instead of waiting out
the limit. Asserted on the plan's own report (solver.wall_s, time_to_proof_s, stop_reason),
not on a timer: this is a behaviour, timings belong in the benchmark."""

import pytest

from scheduler import load_problem, solve, verify
from scheduler.generate import generate

LIMIT_S = 20


@pytest.fixture(scope="module")
def small():
    return load_problem(generate(200, 100, 0))


def test_a_small_problem_returns_once_proven(small):
    plan = solve(small, time_limit_s=LIMIT_S)
    solver = plan.solver
    assert solver["priority_proven_optimal"] and plan.status == "optimal"
    assert solver["time_to_proof_s"] is not None
    assert solver["time_to_proof_s"] <= solver["wall_s"] < LIMIT_S / 2
    assert solver["stop_reason"] in ("proven optimal", "within tolerance", "no improvement")
    assert verify(small, plan) == []


def test_the_lns_stops_when_the_priority_is_proven_and_it_stalls(monkeypatch):
    import sys

    problem = load_problem(generate(150, 100, 1))  # repair reaches the flow bound here
    monkeypatch.setattr(sys.modules["scheduler.solve"], "EXACT_MAX_PAIRS", 0)  # LNS path
    plan = solve(problem, time_limit_s=LIMIT_S, workers=1)
    solver = plan.solver
    assert solver["engine"].endswith("CP-SAT LNS")
    assert solver["priority_proven_optimal"] and solver["time_to_proof_s"] is not None
    assert solver["stop_reason"] == "no improvement"
    assert solver["time_to_proof_s"] <= solver["wall_s"] < LIMIT_S / 2
    assert verify(problem, plan) == []


def test_an_unproven_plan_reports_no_time_to_proof():
    problem = load_problem(generate(1500, 600, 3))
    plan = solve(problem, time_limit_s=0.01, workers=1)
    if not plan.solver["priority_proven_optimal"]:
        assert plan.solver["time_to_proof_s"] is None
    assert plan.solver["workers"] == 1 and "stop_reason" in plan.solver


def test_lns_gives_up_after_a_run_of_neighbourhoods_without_improvement(small):
    import time

    import numpy as np

    from scheduler.lns import run_lns
    from scheduler.model import build_model
    from scheduler.repair import fill, repair

    model = build_model(small)
    state = repair(model, np.zeros(len(model.req), dtype=bool))
    fill(state)
    rng = np.random.default_rng(0)
    seeds = list(range(model.n_req)) * 3
    # While the caller says it has converged, 3 idle neighbourhoods in a row end the run.
    assert run_lns(state, time.monotonic() + 60, rng, seeds, give_up=(3, lambda: True)) == -1
    # Otherwise idle neighbourhoods never end it early.
    assert run_lns(state, time.monotonic() + 60, rng, seeds[:12],
                   give_up=(3, lambda: False)) >= 0
