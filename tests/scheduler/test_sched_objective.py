"""The house objective is lexicographic: no secondary gain ever pays for priority."""

import copy
import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from scheduler import load_problem, solve, verify
from scheduler.exact import max_priority
from scheduler.model import State, build_model, lexicographic_big
from scheduler.problem import Pair
from scheduler.verify import verify_pairs

DATA = Path(__file__).parent / "data"


def lex_counter() -> dict:
    """3 experts, 3 requests: keeping both previous pairs fills 10, a valid plan fills 11."""
    return json.loads((DATA / "lex_counter.json").read_text(encoding="utf-8"))


def with_days(doc: dict) -> dict:
    """The same problem with separate days per request (the MIP + CP-SAT path)."""
    doc = copy.deepcopy(doc)
    for k, r in enumerate(doc["requests"]):
        r["days"] = [{"start": f"2025-04-0{k + 1}", "end": f"2025-04-0{k + 1}"}]
    return doc


def secondary_totals(problem):
    """Secondary value (objective minus priority * big) of every valid plan, brute force."""
    m = build_model(problem)
    out = []
    for n in range(len(m.req) + 1):
        for subset in itertools.combinations(range(len(m.req)), n):
            pairs = [Pair(problem.requests[m.req[p]].id, problem.experts[m.exp[p]].id)
                     for p in subset]
            if verify_pairs(problem, pairs):
                continue
            s = State(m)
            for p in subset:
                s.add(p)
            out.append(s.objective() - s.filled_priority() * m.big)
    return m, out


@pytest.mark.parametrize("make", [lex_counter, lambda: with_days(lex_counter())],
                         ids=["no-days", "with-days"])
def test_priority_beats_keeping_previous_pairs(make):
    problem = load_problem(make())
    plan = solve(problem, time_limit_s=2, workers=1)
    assert plan.metrics["filled_priority"] == 11
    assert plan.metrics["bound"] == 11
    assert plan.status == "optimal"
    assert verify(problem, plan) == []


def test_big_exceeds_the_secondary_range_of_all_valid_plans():
    m, totals = secondary_totals(load_problem(lex_counter()))
    assert max(totals) - min(totals) < m.big


def test_mip_replaces_a_plan_one_priority_unit_short():
    problem = load_problem(with_days(lex_counter()))
    m = build_model(problem)
    state = State(m)
    for p in range(len(m.req)):
        if (problem.requests[m.req[p]].id, problem.experts[m.exp[p]].id) in {
                ("R2", "X"), ("R3", "Z")}:
            state.add(p)
    assert state.filled_priority() == 10
    assert max_priority(state, 5.0)
    assert state.filled_priority() == 11


def test_bound_is_the_priority_only_flow_on_the_exact_path():
    plan = solve(load_problem(lex_counter()), time_limit_s=2, workers=1)
    assert plan.solver["engine"].startswith("min-cost-flow (exact")
    assert plan.metrics["bound"] >= plan.metrics["filled_priority"]


def test_big_stays_in_exact_integer_range_at_the_largest_size():
    # 20,000 requests x ~300 pairs, 25,000 seats, secondary values at the default extremes
    # (fit 3 * 50, 1,500 km * 2, previous 3000): the objective stays far below 2**53.
    rng = np.random.default_rng(0)
    n_req, per = 20_000, 300
    req = np.repeat(np.arange(n_req), per)
    sec = rng.integers(-3000, 3150, size=len(req))
    seats = rng.choice([1, 1, 1, 3], size=n_req)
    big = lexicographic_big(req, sec, 100, seats)
    assert big > 0
    assert 5 * big * int(seats.sum()) < 2**53


def guard_38() -> dict:
    """The search finds less fit than hand dispatch here, for much less travel."""
    return json.loads((DATA / "guard_38.json").read_text(encoding="utf-8"))


def test_the_plan_never_has_less_fit_than_hand_dispatch_at_equal_priority():
    problem = load_problem(guard_38())
    plan = solve(problem, time_limit_s=1, workers=1)
    m = build_model(problem)
    from scheduler.baseline import baseline_state
    from scheduler.repair import fill

    base = baseline_state(m)
    fill(base)
    ours = State(m)
    chosen = {(a.request, a.expert) for a in plan.assignments}
    for p in range(len(m.req)):
        if (problem.requests[m.req[p]].id, problem.experts[m.exp[p]].id) in chosen:
            ours.add(p)
    assert ours.filled_priority() >= base.filled_priority()
    if ours.filled_priority() == base.filled_priority():
        assert ours.total_fit() >= base.total_fit()


def test_baseline_guard_takes_hand_dispatch_when_it_fills_more_priority():
    from scheduler.baseline import baseline_state
    from scheduler.solve import _not_below_baseline

    problem = load_problem(lex_counter())
    m = build_model(problem)
    short = State(m)
    for p in range(len(m.req)):
        if (problem.requests[m.req[p]].id, problem.experts[m.exp[p]].id) == ("R3", "Z"):
            short.add(p)
    base = baseline_state(m)
    out, guarded = _not_below_baseline(m, short, base)
    assert guarded and out is base and out.filled_priority() >= 10


def test_secondary_terms_are_not_claimed_proven_when_the_guard_fires(monkeypatch):
    import importlib

    solve_module = importlib.import_module("scheduler.solve")
    monkeypatch.setattr(solve_module, "_not_below_baseline", lambda m, s, b: (b, True))
    plan = solve_module.solve(load_problem(lex_counter()), time_limit_s=1, workers=1)
    assert plan.solver["baseline_fallback"] is True
    assert plan.solver["secondary_proven_optimal"] is False


@pytest.mark.parametrize("distribution", ["current", "skewed", "subgroup"])
@pytest.mark.parametrize("seed", [0, 1])
def test_priority_bound_is_the_filled_priority_of_the_value_flow(distribution, seed):
    """The max flows per priority level give the min-cost flow's filled priority: the value
    flow fills priority first (big), so its priority is the relaxation's best. With pinned
    pairs (history), and with levels removed so the levels are not 1 apart."""
    from scheduler.flow import priority_bound, relax
    from scheduler.generate import generate

    doc = generate(300, 120, seed, history=True, distribution=distribution)
    if seed:  # priorities 1, 3 and 5 only: a gap between the levels must still count
        for r in doc["requests"]:
            r["priority"] = min(5, 2 * (r.get("priority", 3) // 2) + 1)
    model = build_model(load_problem(doc))
    assert len(model.pinned) and len(set(model.prio.tolist())) >= 3
    chosen, optimal = relax(model)
    assert optimal
    assert priority_bound(model) == int(model.prio[chosen].sum())


@pytest.mark.parametrize("distribution", ["current", "skewed", "subgroup"])
def test_least_contested_marks_each_requests_least_contested_experts(distribution):
    from scheduler.flow import least_contested
    from scheduler.generate import generate

    model = build_model(load_problem(generate(300, 120, 1, distribution=distribution)))
    pairs_per_seat = np.bincount(model.exp, minlength=model.n_exp) / np.maximum(model.cap, 1)
    expected = np.zeros(len(model.req), dtype=bool)
    for r in range(model.n_req):
        lo, hi = model.req_ptr[r], model.req_ptr[r + 1]
        # least contested first; among equals the lower expert index (the pairs' order)
        order = sorted(range(lo, hi), key=lambda p: (pairs_per_seat[model.exp[p]],
                                                     model.exp[p]))
        expected[order[:3]] = True
    assert np.array_equal(least_contested(model, 3), expected)


@pytest.mark.parametrize("distribution", ["current", "skewed", "subgroup"])
def test_a_restricted_hint_seats_the_requests_whose_best_experts_are_wanted_elsewhere(
        distribution, monkeypatch):
    """With only each request's best pair the hint flow leaves most of the bound's priority
    unfilled (those experts are everybody's best); with the least contested experts' pairs
    beside it, it fills nearly all of it. (Without the routes, tested below.)"""
    import scheduler.flow as flow
    from scheduler.generate import generate

    model = build_model(load_problem(generate(400, 160, 0, distribution=distribution)))
    bound = flow.priority_bound(model)

    def one_pair_hint_priority() -> int:
        hint = dict(flow.hint_flows(model, (1,), routed=False))["hint 1"]
        return int(model.prio[hint].sum())

    assert one_pair_hint_priority() >= 0.97 * bound
    monkeypatch.setattr(flow, "UNCONTESTED_PAIRS", 0)
    assert one_pair_hint_priority() < 0.9 * bound


@pytest.mark.parametrize("distribution", ["current", "skewed", "subgroup"])
def test_with_the_routes_a_one_pair_hint_fills_what_its_wider_set_can(distribution,
                                                                      monkeypatch):
    """The routes of each request's best ROUTE_RANK pairs (the pairs the priority-level max
    flows over them use) carry all the priority those pairs can fill: a flow over the
    routes alone fills it, and so does the one-pair hint that has them, which without them
    (and without the least contested experts) falls far short."""
    import scheduler.flow as flow
    from scheduler.generate import generate

    monkeypatch.setattr(flow, "UNCONTESTED_PAIRS", 0)
    monkeypatch.setattr(flow, "ROUTE_RANK", 4)  # (these requests have 5 pairs on average)
    model = build_model(load_problem(generate(400, 160, 0, distribution=distribution)))
    wide = flow.pair_rank(model) < flow.ROUTE_RANK
    wide_priority = int(model.prio[flow.relax(model, wide)[0]].sum())
    routes = flow.priority_routes(model, wide)
    assert routes.sum() < wide.sum() and not (routes & ~wide).any()
    assert int(model.prio[flow.relax(model, routes)[0]].sum()) == wide_priority

    def one_pair_hint_priority(routed: bool) -> int:
        hint = dict(flow.hint_flows(model, (1,), routed=routed))["hint 1"]
        return int(model.prio[hint].sum())

    assert one_pair_hint_priority(routed=True) == wide_priority
    assert one_pair_hint_priority(routed=False) < 0.9 * wide_priority
