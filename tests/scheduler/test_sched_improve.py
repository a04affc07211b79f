"""The fast local search (scheduler/improve.py): never lowers the filled priority, never
breaks a rule, and makes the exchanges a plan obviously needs."""

import time

import numpy as np
import pytest
from sched_builders import a_problem, a_request, an_expert, pairs

from scheduler import load_problem, solve, verify
from scheduler.baseline import baseline_state
from scheduler.explain import build_plan
from scheduler.flow import hint_flows
from scheduler.generate import generate
from scheduler.improve import improve
from scheduler.model import State, build_model
from scheduler.repair import fill

FAR = time.monotonic() + 3600  # a deadline no test reaches: the search ends by itself


def state_of(model, chosen_pairs):
    """A State holding the given (request id, expert id) pairs."""
    req = {r.id: k for k, r in enumerate(model.problem.requests)}
    exp = {e.id: k for k, e in enumerate(model.problem.experts)}
    state = State(model)
    for r, e in chosen_pairs:
        p = [q for q in model.pairs_of(req[r]) if model.exp[q] == exp[e]][0]
        assert state.can_add(p)
        state.add(p)
    return state


def plan_pairs(model, state):
    return pairs(build_plan(model, state, "feasible", None, {}))


def same_bookkeeping(state):
    """The State's counters match a State rebuilt from its chosen pairs."""
    again = State(state.m)
    for p in np.flatnonzero(state.chosen):
        again.add(int(p))
    return (np.array_equal(again.load, state.load) and np.array_equal(again.filled, state.filled)
            and np.array_equal(again.occ, state.occ))


def crossed_problem():
    """Two one-seat experts booked the wrong way round: each travels to the other's city."""
    experts = [an_expert("E_SH", city="shanghai", max_concurrent=1),
               an_expert("E_HF", city="hefei", jurisdiction="AH", max_concurrent=1)]
    requests = [a_request("R_SH", city="shanghai"),
                a_request("R_HF", city="hefei", jurisdiction="AH")]
    return load_problem(a_problem(experts, requests))


def test_a_swap_uncrosses_two_long_trips():
    problem = crossed_problem()
    model = build_model(problem)
    state = state_of(model, [("R_SH", "E_HF"), ("R_HF", "E_SH")])
    before = state.objective()
    stats = improve(state, FAR)
    assert stats["swaps"] == 1
    assert state.objective() > before
    assert plan_pairs(model, state) == {("R_SH", "E_SH"), ("R_HF", "E_HF")}
    assert verify(problem, build_plan(model, state, "feasible", None, {})) == []


def test_an_expert_trades_a_far_request_for_an_open_one_next_door():
    # E_SH can take one request: the one in its own city, of the same priority, is better.
    experts = [an_expert("E_SH", city="shanghai", max_concurrent=1)]
    requests = [a_request("R_SH", city="shanghai"),
                a_request("R_HF", city="hefei", jurisdiction="AH")]
    problem = load_problem(a_problem(experts, requests))
    model = build_model(problem)
    state = state_of(model, [("R_HF", "E_SH")])
    before = (state.filled_priority(), state.objective())
    assert improve(state, FAR)["trades"] == 1
    assert plan_pairs(model, state) == {("R_SH", "E_SH")}
    assert state.filled_priority() == before[0] and state.objective() > before[1]


def test_a_trade_never_gives_up_a_more_urgent_request():
    experts = [an_expert("E_SH", city="shanghai", max_concurrent=1)]
    requests = [a_request("R_SH", city="shanghai", priority=2),
                a_request("R_HF", city="hefei", jurisdiction="AH", priority=5)]
    model = build_model(load_problem(a_problem(experts, requests)))
    state = state_of(model, [("R_HF", "E_SH")])
    improve(state, FAR)
    assert plan_pairs(model, state) == {("R_HF", "E_SH")}


def test_pinned_pairs_stay():
    experts = [an_expert("E_SH", city="shanghai", max_concurrent=1),
               an_expert("E_HF", city="hefei", jurisdiction="AH", max_concurrent=1)]
    requests = [a_request("R_SH", city="shanghai"),
                a_request("R_HF", city="hefei", jurisdiction="AH")]
    problem = load_problem(a_problem(experts, requests,
                                     pinned=[{"request": "R_SH", "expert": "E_HF"}]))
    model = build_model(problem)
    state = state_of(model, [("R_SH", "E_HF"), ("R_HF", "E_SH")])
    improve(state, FAR)
    assert ("R_SH", "E_HF") in plan_pairs(model, state)


def test_an_ejection_chain_seats_a_request_the_flow_filled():
    # Only E1 can judge R_A; E1 holds R_B, which E2 can take: the flow seats both.
    experts = [an_expert("E1", city="shanghai", max_concurrent=1,
                         fields={"G06F": 3, "H04L": 1}),
               an_expert("E2", city="hefei", jurisdiction="AH", max_concurrent=1)]
    requests = [a_request("R_A", city="hefei", jurisdiction="AH", fields=["H04L"]),
                a_request("R_B", city="shanghai")]
    problem = load_problem(a_problem(experts, requests))
    model = build_model(problem)
    start = [("R_B", "E1")]
    alone = state_of(model, start)
    improve(alone, FAR)  # no single move, swap or trade helps
    assert plan_pairs(model, alone) == set(start)
    state = state_of(model, start)
    flow = state_of(model, [("R_A", "E1"), ("R_B", "E2")]).chosen
    before = state.filled_priority()
    assert improve(state, FAR, hint=flow)["chains"] == 1
    assert plan_pairs(model, state) == {("R_A", "E1"), ("R_B", "E2")}
    assert state.filled_priority() == before + 3
    assert verify(problem, build_plan(model, state, "feasible", None, {})) == []


def test_a_past_deadline_changes_nothing():
    model = build_model(crossed_problem())
    state = state_of(model, [("R_SH", "E_HF"), ("R_HF", "E_SH")])
    chosen = state.chosen.copy()
    improve(state, time.monotonic() - 1)
    assert np.array_equal(state.chosen, chosen)


@pytest.mark.parametrize(("distribution", "seed"),
                         [("current", 0), ("skewed", 1), ("subgroup", 2), ("current", 3)])
def test_on_generated_problems_priority_never_drops_and_every_rule_holds(distribution, seed):
    problem = load_problem(generate(400, 160, seed, distribution=distribution))
    model = build_model(problem)
    state = baseline_state(model)
    fill(state)
    before = (state.filled_priority(), state.objective())
    flow = np.zeros(len(model.req), dtype=bool)
    flow[dict(hint_flows(model, (8,)))["hint 8"]] = True
    stats = improve(state, FAR, hint=flow)
    assert stats["moves"] + stats["swaps"] + stats["trades"] > 0
    assert state.filled_priority() >= before[0]
    assert state.objective() > before[1]
    assert same_bookkeeping(state)
    assert set(model.pinned.tolist()) <= set(np.flatnonzero(state.chosen).tolist())
    assert verify(problem, build_plan(model, state, "feasible", None, {})) == []
    fill(state)  # the pipeline fills the seats freed by moves: still valid
    assert verify(problem, build_plan(model, state, "feasible", None, {})) == []


def test_previous_and_pinned_pairs_kept_by_hand_dispatch_stay_valid():
    problem = load_problem(generate(400, 160, 3, history=True))
    model = build_model(problem)
    state = baseline_state(model)
    fill(state)
    before = (state.filled_priority(), state.objective())
    improve(state, FAR)
    assert (state.filled_priority(), state.objective()) >= before
    assert set(model.pinned.tolist()) <= set(np.flatnonzero(state.chosen).tolist())
    assert same_bookkeeping(state)
    assert verify(problem, build_plan(model, state, "feasible", None, {})) == []


@pytest.mark.parametrize("seed", [0, 1])
def test_at_the_floors_priority_no_move_takes_fit_below_the_floors(seed):
    problem = load_problem(generate(400, 160, seed, distribution="skewed"))
    model = build_model(problem)
    state = baseline_state(model)
    fill(state)
    floor = state.copy()
    improve(state, FAR, floor=floor)
    assert state.total_fit() >= floor.total_fit()
    assert state.filled_priority() >= floor.filled_priority()
    assert verify(problem, build_plan(model, state, "feasible", None, {})) == []


def test_ticks_come_and_a_raising_tick_stops_the_search():
    problem = load_problem(generate(400, 160, 0))
    model = build_model(problem)
    state = baseline_state(model)
    fill(state)

    class Stopped(Exception):
        pass

    def tick():
        raise Stopped

    with pytest.raises(Stopped):
        improve(state, FAR, tick=tick)
    assert same_bookkeeping(state)


def test_solve_runs_the_local_search_and_returns_a_valid_plan():
    problem = load_problem(generate(1500, 600, 5, distribution="skewed"))
    events = []
    plan = solve(problem, time_limit_s=4, workers=1, progress=events.append)
    assert "improve" in [e["phase"] for e in events]
    assert verify(problem, plan) == []
    assert plan.metrics["filled_priority"] >= plan.metrics["hand_dispatch"]["filled_priority"]


def test_guided_takes_the_same_pairs_as_the_open_candidate_search():
    # repair.guided tries the hint's pairs with State.can_add before any open-candidate
    # search: the same plan as searching the open candidates, hint first, for each request.
    from scheduler.repair import guided, open_candidates

    problem = load_problem(generate(400, 160, 4, distribution="subgroup"))
    model = build_model(problem)
    flow = np.zeros(len(model.req), dtype=bool)
    flow[dict(hint_flows(model, (8,)))["hint 8"]] = True
    reference = State(model)
    options = np.diff(model.req_ptr)
    order = np.lexsort((np.arange(model.n_req), options, -model.el.index.req_prio))
    for r in order[options[order] > 0].tolist():
        ps = open_candidates(reference, r)
        for p in ps[np.argsort(~flow[ps], kind="stable")].tolist():
            if reference.filled[r] < model.seats[r] and reference.can_add(p):
                reference.add(p)
    assert np.array_equal(guided(model, flow).chosen, reference.chosen)
