"""Each hard rule: eligibility removes the expert (or the solver enforces it), verify catches it."""

import numpy as np
import pytest
from sched_builders import a_problem, a_request, an_expert, pairs

from scheduler import load_problem, solve, verify
from scheduler.eligibility import RULE_KEYS, eligible_pairs

# (rule number, diagnosis key, expert overrides, request overrides) where the rule alone
# removes the only expert.
STATIC_RULES = [
    (1, "role", {"roles": ["arbitrator"]}, {}),
    (2, "appointment", {"appointed_until": "2025-03-31"}, {}),
    (2, "appointment", {"appointed_from": "2025-04-02"}, {}),
    (3, "expertise", {"fields": {"H04W": 3}}, {}),
    (4, "jurisdiction", {"jurisdiction": "GD", "city": "shenzhen"}, {"remote": True}),
    (5, "travel", {"city": "hefei", "jurisdiction": "AH", "max_travel_km": 100}, {}),
    (6, "conflict_of_interest", {"conflicts": ["ACME"]}, {"parties": ["ACME"]}),
    (6, "conflict_of_interest", {"organizations": [{"org": "ACME", "until": "2024-01-01"}]},
     {"parties": ["ACME"]}),
    (6, "conflict_of_interest", {}, {"excluded": ["E1"]}),
    (7, "availability", {"unavailable": [{"start": "2025-04-02", "end": "2025-04-09"}]}, {}),
    (8, "double_booking", {"busy": [{"start": "2025-03-30", "end": "2025-04-01"}]}, {}),
    (9, "workload", {"current_load": 3, "max_concurrent": 3}, {}),
    (11, "language", {}, {"language": "en"}),
]


@pytest.mark.parametrize(("rule", "key", "expert", "req"), STATIC_RULES)
def test_rule_alone_removes_the_expert_and_is_counted(rule, key, expert, req):
    problem = load_problem(a_problem([an_expert(**expert)], [a_request(**req)]))
    el = eligible_pairs(problem)
    assert len(el) == 0
    counts = dict(zip(RULE_KEYS, el.counts[0].tolist(), strict=True))
    assert counts[key] == 1 and sum(counts.values()) == 1


@pytest.mark.parametrize(("rule", "key", "expert", "req"), STATIC_RULES)
def test_verify_reports_a_plan_that_breaks_the_rule(rule, key, expert, req):
    problem = load_problem(a_problem([an_expert(**expert)], [a_request(**req)]))
    plan = {"assignments": [{"request": "R1", "expert": "E1"}]}
    assert rule in {v.rule for v in verify(problem, plan)}


@pytest.mark.parametrize(("rule", "key", "expert", "req"), STATIC_RULES)
def test_unfilled_seat_diagnosis_names_the_rule(rule, key, expert, req):
    problem = load_problem(a_problem([an_expert(**expert)], [a_request(**req)]))
    plan = solve(problem, time_limit_s=2).to_dict()
    assert plan["assignments"] == []
    assert plan["unfilled"][0]["diagnosis"][key] == 1


def test_eligible_pair_passes_every_rule():
    problem = load_problem(a_problem([an_expert()], [a_request()]))
    plan = solve(problem, time_limit_s=2)
    assert pairs(plan) == {("R1", "E1")}
    assert verify(problem, plan) == []


@pytest.mark.parametrize(("expert_field", "request_field"), [
    ("G06F", "G06F"), ("G06", "G06F"), ("G", "G06F"), ("G06F", "G06"), ("G06F", "G")])
def test_fields_match_when_one_is_a_prefix_of_the_other(expert_field, request_field):
    problem = load_problem(a_problem([an_expert(fields={expert_field: 2})],
                                     [a_request(fields=[request_field])]))
    assert len(eligible_pairs(problem)) == 1


def test_expired_affiliation_outside_cooling_off_is_no_conflict():
    expert = an_expert(organizations=[{"org": "ACME", "until": "2020-01-01"}])
    problem = load_problem(a_problem([expert], [a_request(parties=["ACME"])]))
    assert len(eligible_pairs(problem)) == 1


def test_remote_request_ignores_travel_limit_and_costs_no_travel():
    expert = an_expert(city="hefei", jurisdiction="AH", max_travel_km=10)
    problem = load_problem(a_problem([expert], [a_request(remote=True)]))
    plan = solve(problem, time_limit_s=2).to_dict()
    assert plan["assignments"][0]["distance_km"] == 0
    assert "remote work: no travel" in plan["assignments"][0]["reasons"]


def test_rule_8_solver_never_double_books_an_expert():
    requests = [a_request("R1"), a_request("R2", days=[{"start": "2025-04-02",
                                                        "end": "2025-04-03"}])]
    problem = load_problem(a_problem([an_expert()], requests))
    plan = solve(problem, time_limit_s=2)
    assert len(plan.assignments) == 1 and verify(problem, plan) == []
    diagnosis = plan.unfilled[0].diagnosis
    assert diagnosis["double_booking"] == 1 and "double booking" in plan.unfilled[0].summary
    bad = {"assignments": [{"request": "R1", "expert": "E1"}, {"request": "R2", "expert": "E1"}]}
    assert 8 in {v.rule for v in verify(problem, bad)}


def test_diagnosis_holds_only_counts_and_the_summary_sits_beside_it():
    requests = [a_request("R1"), a_request("R2", days=[{"start": "2025-04-02",
                                                        "end": "2025-04-03"}])]
    plan = solve(load_problem(a_problem([an_expert()], requests)), time_limit_s=2).to_dict()
    (unfilled,) = plan["unfilled"]
    assert all(isinstance(v, int) for v in unfilled["diagnosis"].values())
    assert "double booking" in unfilled["summary"]


def test_written_work_without_days_never_overlaps():
    requests = [a_request("R1", days=[]), a_request("R2", days=[])]
    problem = load_problem(a_problem([an_expert()], requests))
    assert len(solve(problem, time_limit_s=2).assignments) == 2


def test_rule_9_solver_respects_workload():
    requests = [a_request(f"R{k}", days=[]) for k in range(4)]
    problem = load_problem(a_problem([an_expert(max_concurrent=3, current_load=1)], requests))
    plan = solve(problem, time_limit_s=2)
    assert len(plan.assignments) == 2
    assert all(u.diagnosis["workload"] == 1 for u in plan.unfilled)
    bad = {"assignments": [{"request": f"R{k}", "expert": "E1"} for k in range(3)]}
    assert 9 in {v.rule for v in verify(problem, bad)}


def test_rule_10_seats_are_filled_by_distinct_experts_up_to_the_limit():
    experts = [an_expert(f"E{k}") for k in range(3)]
    problem = load_problem(a_problem(experts, [a_request(seats=2)]))
    plan = solve(problem, time_limit_s=2)
    assert len(pairs(plan)) == 2
    too_many = {"assignments": [{"request": "R1", "expert": f"E{k}"} for k in range(3)]}
    twice = {"assignments": [{"request": "R1", "expert": "E0"}] * 2}
    assert 10 in {v.rule for v in verify(problem, too_many)}
    assert 10 in {v.rule for v in verify(problem, twice)}


def test_rule_12_panel_members_share_no_current_organisation():
    same = [{"org": "Tongji", "until": None}]
    experts = [an_expert("E0", organizations=same), an_expert("E1", organizations=same),
               an_expert("E2", organizations=[{"org": "Tongji", "until": "2024-01-01"}])]
    problem = load_problem(a_problem(experts, [a_request(seats=3)]))
    plan = solve(problem, time_limit_s=2)
    assert len(plan.assignments) == 2 and verify(problem, plan) == []
    assert plan.unfilled[0].diagnosis["panel_independence"] == 1
    bad = {"assignments": [{"request": "R1", "expert": "E0"}, {"request": "R1", "expert": "E1"}]}
    assert 12 in {v.rule for v in verify(problem, bad)}


def test_rule_13_pinned_pair_is_kept_and_its_absence_is_reported():
    experts = [an_expert("E0", city="hefei", jurisdiction="AH"), an_expert("E1")]
    problem = load_problem(a_problem(experts, [a_request()],
                                     pinned=[{"request": "R1", "expert": "E0"}]))
    plan = solve(problem, time_limit_s=2)
    assert pairs(plan) == {("R1", "E0")}
    assert plan.assignments[0].pinned and "pinned: confirmed earlier" in plan.assignments[0].reasons
    other = {"assignments": [{"request": "R1", "expert": "E1"}]}
    assert 13 in {v.rule for v in verify(problem, other)}


def test_verify_reports_unknown_request_and_expert():
    problem = load_problem(a_problem([an_expert()], [a_request()]))
    plan = {"assignments": [{"request": "R9", "expert": "E1"}, {"request": "R1", "expert": "X"}]}
    assert [v.rule for v in verify(problem, plan)] == [0, 0]


def test_counts_follow_rule_order_first_rule_takes_the_expert():
    # Wrong role and wrong field: only the role (rule 1) is counted.
    expert = an_expert(roles=["arbitrator"], fields={"H04W": 1})
    problem = load_problem(a_problem([expert], [a_request()]))
    assert eligible_pairs(problem).counts[0].tolist() == [1] + [0] * (len(RULE_KEYS) - 1)


def test_reasons_explain_field_distance_and_load():
    expert = an_expert(city="suzhou_js", jurisdiction="JS", fields={"G06": 2})
    problem = load_problem(a_problem([expert], [a_request()]))
    reasons = solve(problem, time_limit_s=2).assignments[0].reasons
    assert "field G06 matches request field G06F (proficiency 2/3)" in reasons
    assert any(r.endswith("km from Suzhou to Shanghai") for r in reasons)
    assert "load after this assignment 1/3" in reasons


def test_vectorised_eligibility_agrees_with_per_pair_verify():
    from scheduler.generate import generate

    problem = load_problem(generate(120, 80, seed=3))
    el = eligible_pairs(problem)
    fast = set(zip(el.req.tolist(), el.exp.tolist(), strict=True))
    from scheduler.verify import pair_violations

    slow = {(r, e) for r, req in enumerate(problem.requests)
            for e, exp in enumerate(problem.experts)
            if not pair_violations(problem, req, exp) and exp.max_concurrent > exp.current_load}
    assert fast == slow
    assert np.all(el.counts.sum(axis=1) + np.bincount(el.req, minlength=120) == 80)
