"""Rule one_procedure (SPC 2019 Art. 5) between the requests of one problem: an investigator
serves one procedure (stage) of a dispute, however many requests that stage has."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sched_builders import a_problem, a_request, an_expert, pairs

from scheduler import load_problem, solve, verify
from scheduler.baseline import baseline_plan
from scheduler.candidates import candidates
from scheduler.exact import max_priority
from scheduler.lns import optimise
from scheduler.model import State, build_model
from scheduler.problem import Pair
from scheduler.verify import verify_pairs

WEEK = [{"start": "2025-04-07", "end": "2025-04-08"}]
LATER = [{"start": "2025-05-12", "end": "2025-05-13"}]


def stage(id, case, dispute="D1", **overrides):
    """A request of one stage (case) of dispute D1, on days no other request of it uses."""
    days = [{"start": f"2025-04-{10 + int(id[1:]):02d}", "end": f"2025-04-{10 + int(id[1:]):02d}"}]
    return a_request(id, case=case, dispute=dispute, days=days, **overrides)


def loaded(requests, experts=None, **overrides):
    return load_problem(a_problem(experts or [an_expert()], requests, **overrides))


def test_two_stages_of_a_dispute_never_share_the_one_eligible_investigator():
    problem = loaded([stage("R1", "first"), stage("R2", "appeal")])
    plan = solve(problem, time_limit_s=2, workers=1)
    assert len(plan.assignments) == 1 and verify(problem, plan) == []
    (unfilled,) = plan.unfilled
    assert unfilled.blocked["one_procedure"] == 1
    assert unfilled.diagnosis["one_procedure"] == 1
    assert "another stage of this dispute" in unfilled.summary


def test_without_a_dispute_the_same_requests_share_the_investigator():
    plan = solve(loaded([stage("R1", "first", dispute=None),
                         stage("R2", "appeal", dispute=None)]), time_limit_s=1, workers=1)
    assert pairs(plan) == {("R1", "E1"), ("R2", "E1")}


def test_requests_of_the_same_stage_share_the_investigator():
    problem = loaded([stage("R1", "first"), stage("R2", "first"), stage("R3", "appeal")])
    plan = solve(problem, time_limit_s=2, workers=1)
    assert pairs(plan) == {("R1", "E1"), ("R2", "E1")}
    assert verify(problem, plan) == []


def test_verify_flags_one_investigator_on_two_stages_under_rule_6_with_its_key():
    problem = loaded([stage("R1", "first"), stage("R2", "appeal")])
    (violation,) = verify(problem, {"assignments": [{"request": "R1", "expert": "E1"},
                                                    {"request": "R2", "expert": "E1"}]})
    assert (violation.rule, violation.key) == (6, "one_procedure")
    assert (violation.request, violation.expert) == ("R2", "E1")
    assert str(violation).startswith("rule 6 (one_procedure): E1 would serve two procedures")
    assert violation.to_dict()["key"] == "one_procedure"


def test_verify_lets_other_violations_keep_their_own_key():
    problem = loaded([stage("R1", "first")], experts=[an_expert(roles=["arbitrator"])])
    (violation,) = verify_pairs(problem, [Pair("R1", "E1")])
    assert (violation.rule, violation.key) == (1, "role")


def test_every_second_instance_of_a_dispute_is_one_procedure_after_a_remand():
    problem = loaded([stage("R1", "appeal", procedure="second_instance"),
                      stage("R2", "appeal-after-remand", procedure="second_instance"),
                      stage("R3", "first")])
    plan = solve(problem, time_limit_s=2, workers=1)
    assert pairs(plan) == {("R1", "E1"), ("R2", "E1")}
    assert verify(problem, plan) == []


def test_the_rule_concerns_investigators_only():
    arbitrator = an_expert(roles=["arbitrator"])
    problem = loaded([stage("R1", "first", role="arbitrator"),
                      stage("R2", "appeal", role="arbitrator")], experts=[arbitrator])
    assert pairs(solve(problem, time_limit_s=1, workers=1)) == {("R1", "E1"), ("R2", "E1")}


def test_hand_dispatch_respects_the_rule():
    problem = loaded([stage("R1", "first", priority=5), stage("R2", "appeal"),
                      stage("R3", "appeal")])
    plan = baseline_plan(problem)
    assert pairs(plan) == {("R1", "E1")} and verify(problem, plan) == []


def test_the_solver_gives_the_expert_to_the_stage_worth_more():
    # Hand dispatch takes the most urgent request first (priority 5) and is stuck with it;
    # the appeal's two requests are worth 3 + 3 = 6, and the solver takes them.
    problem = loaded([stage("R1", "first", priority=5), stage("R2", "appeal"),
                      stage("R3", "appeal")])
    plan = solve(problem, time_limit_s=3, workers=1)
    assert pairs(plan) == {("R2", "E1"), ("R3", "E1")}
    assert plan.metrics["filled_priority"] == 6 and plan.metrics["hand_dispatch"][
        "filled_priority"] == 5
    assert verify(problem, plan) == []


def _empty_state(problem):
    model = build_model(problem)
    return model, State(model)


def test_cp_sat_and_the_mip_keep_the_rule():
    problem = loaded([stage("R1", "first", priority=5), stage("R2", "appeal"),
                      stage("R3", "appeal")])
    for search in (lambda s, m: optimise(s, np.arange(m.n_req), np.arange(m.n_exp), 2.0),
                   lambda s, m: max_priority(s, 2.0)):
        model, state = _empty_state(problem)
        search(state, model)
        chosen = {(problem.requests[int(model.req[p])].id, problem.experts[int(model.exp[p])].id)
                  for p in np.flatnonzero(state.chosen)}
        assert chosen == {("R2", "E1"), ("R3", "E1")}


def test_a_state_refuses_a_pair_of_another_stage_until_the_first_is_removed():
    problem = loaded([stage("R1", "first"), stage("R2", "appeal")])
    model, state = _empty_state(problem)
    first, appeal = 0, 1  # one expert: pair p is request p
    state.add(first)
    assert not state.can_add(appeal)
    state.remove(first)
    assert state.can_add(appeal)


def test_a_dispute_with_one_stage_in_the_problem_costs_nothing():
    model = build_model(loaded([stage("R1", "first"), stage("R2", "first")]))
    assert model.req_dispute == [-1, -1]


def test_candidates_name_the_clash_with_the_other_stage():
    problem = loaded([stage("R1", "first"), stage("R2", "appeal")])
    (candidate,) = candidates(problem, [{"request": "R1", "expert": "E1"}], "R2")
    assert candidate.clashes == ({"rule": "one_procedure", "with": "R1"},)


def test_a_dispute_of_the_wrong_type_leaves_only_that_request_out():
    problem = loaded([stage("R1", "first", dispute=["D1"]), stage("R2", "appeal", dispute=7)])
    assert [r.id for r in problem.requests] == ["R2"]
    assert problem.requests[0].dispute == "7"
    (warning,) = problem.warnings
    assert warning.startswith("requests[0] (id 'R1'): dispute must be a non-empty string")


@st.composite
def disputed_problems(draw):
    experts = [an_expert(f"E{k}", max_concurrent=draw(st.integers(1, 3)))
               for k in range(draw(st.integers(1, 3)))]
    requests = [a_request(f"R{k}", case=draw(st.sampled_from(["A", "B", "C"])),
                          dispute=draw(st.sampled_from(["D1", "D2", None])),
                          seats=draw(st.integers(1, 2)), priority=draw(st.integers(1, 5)),
                          days=[] if draw(st.booleans()) else [WEEK, LATER][k % 2])
                for k in range(draw(st.integers(2, 5)))]
    return a_problem(experts, requests)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(disputed_problems())
def test_every_plan_and_hand_dispatch_keep_one_procedure_per_dispute(doc):
    problem = load_problem(doc)
    assert verify(problem, solve(problem, time_limit_s=1, workers=1)) == []
    assert verify(problem, baseline_plan(problem)) == []
