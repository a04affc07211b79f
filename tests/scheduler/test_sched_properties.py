"""Random small problems: every plan verifies; tiny ones reach the brute-force optimum."""

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sched_builders import a_problem, a_request, an_expert

from scheduler import load_problem, solve, verify
from scheduler.problem import Pair
from scheduler.verify import verify_pairs

FIELDS = ["G06F", "G06", "H04W", "G"]
ORGS = ["Tongji", "Fudan", "ACME"]
CITY_JUR = [("shanghai", "SH"), ("suzhou_js", "JS"), ("hefei", "AH")]


def days(draw_start, length):
    return [{"start": f"2025-04-0{draw_start}", "end": f"2025-04-0{draw_start + length}"}]


@st.composite
def experts(draw, k):
    city, jur = draw(st.sampled_from(CITY_JUR))
    return an_expert(
        f"E{k}", city=city, jurisdiction=jur,
        roles=draw(st.sampled_from([["investigator"], ["investigator", "arbitrator"]])),
        fields={draw(st.sampled_from(FIELDS)): draw(st.integers(1, 3))},
        max_concurrent=draw(st.integers(1, 2)),
        max_travel_km=draw(st.sampled_from([None, 150, 400])),
        organizations=[{"org": draw(st.sampled_from(ORGS)), "until": None}],
        conflicts=draw(st.lists(st.sampled_from(ORGS), max_size=1)),
    )


@st.composite
def requests(draw, k):
    city, jur = draw(st.sampled_from(CITY_JUR))
    written = draw(st.booleans())
    return a_request(
        f"R{k}", city=city, jurisdiction=jur, seats=draw(st.integers(1, 2)),
        priority=draw(st.integers(1, 5)), fields=[draw(st.sampled_from(FIELDS))],
        days=[] if written else days(draw(st.integers(1, 4)), draw(st.integers(0, 2))),
        parties=draw(st.lists(st.sampled_from(ORGS), max_size=1)),
        remote=draw(st.booleans()),
    )


@st.composite
def problems(draw, max_experts=3, max_requests=3):
    n_exp = draw(st.integers(1, max_experts))
    n_req = draw(st.integers(1, max_requests))
    return a_problem([draw(experts(k)) for k in range(n_exp)],
                     [draw(requests(k)) for k in range(n_req)])


def brute_force_priority(problem):
    """Best filled priority over every subset of valid pairs (tiny problems only)."""
    candidates = [Pair(r.id, e.id) for r in problem.requests for e in problem.experts
                  if not verify_pairs(problem, [Pair(r.id, e.id)])]
    prio = {r.id: r.priority for r in problem.requests}
    best = 0
    for n in range(len(candidates) + 1):
        for subset in itertools.combinations(candidates, n):
            value = sum(prio[p.request] for p in subset)
            if value > best and not verify_pairs(problem, list(subset)):
                best = value
    return best


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_experts=4, max_requests=5))
def test_every_plan_verifies(doc):
    problem = load_problem(doc)
    plan = solve(problem, time_limit_s=1, workers=1)
    assert verify(problem, plan.to_dict()) == []
    assert plan.metrics["filled_priority"] <= plan.metrics["bound"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_experts=3, max_requests=3))
def test_tiny_problems_reach_the_brute_force_optimum(doc):
    problem = load_problem(doc)
    plan = solve(problem, time_limit_s=2, workers=1)
    assert plan.metrics["filled_priority"] == brute_force_priority(problem)
    assert plan.status == "optimal"
