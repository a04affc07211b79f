"""Plans carry facts beside their English words, so the registry can word them in any language."""

import json

from sched_builders import a_problem, a_request, an_expert

from scheduler import load_problem, solve
from scheduler.generate import generate

OVERLAPPING = {"days": [{"start": "2025-04-02", "end": "2025-04-03"}]}


def solved(experts, requests, **overrides):
    return solve(load_problem(a_problem(experts, requests, **overrides)), time_limit_s=2)


def test_an_assignment_states_its_reasons_as_facts():
    expert = an_expert(city="suzhou_js", jurisdiction="JS", fields={"G06": 2}, current_load=1)
    plan = solved([expert], [a_request(seats=2)],
                  previous=[{"request": "R1", "expert": "E1"}])
    (assignment,) = plan.to_dict()["assignments"]
    assert assignment["facts"] == {
        "field": "G06", "request_field": "G06F", "proficiency": 2,
        "from_city": "suzhou_js", "to_city": "shanghai", "remote": False,
        "load_after": 2, "capacity": 3, "kept": True, "panel_seats": 2,
    }


def test_load_after_counts_the_experts_earlier_assignments_in_the_plan():
    requests = [a_request("R1", days=[]), a_request("R2", days=[])]
    plan = solved([an_expert()], requests)
    assert sorted(a.facts["load_after"] for a in plan.assignments) == [1, 2]


def test_an_unfilled_request_counts_what_this_plan_blocks():
    requests = [a_request("R1"), a_request("R2", **OVERLAPPING)]
    (unfilled,) = solved([an_expert()], requests).to_dict()["unfilled"]
    assert unfilled["blocked"] == {"eligible": 1, "workload": 0, "double_booking": 1,
                                   "panel_independence": 0, "one_procedure": 0}


def test_blocked_counts_workload_and_panel_independence():
    same = [{"org": "Tongji", "until": None}]
    experts = [an_expert("E0", organizations=same), an_expert("E1", organizations=same)]
    (panel,) = solved(experts, [a_request(seats=3)]).unfilled
    assert panel.blocked == {"eligible": 1, "workload": 0, "double_booking": 0,
                             "panel_independence": 1, "one_procedure": 0}
    requests = [a_request(f"R{k}", days=[]) for k in range(2)]
    (full,) = solved([an_expert(max_concurrent=1)], requests).unfilled
    assert full.blocked["workload"] == 1


def test_a_request_nobody_passes_has_no_eligible_expert_left():
    (unfilled,) = solved([an_expert(roles=["arbitrator"])], [a_request()]).unfilled
    assert unfilled.blocked == {"eligible": 0, "workload": 0, "double_booking": 0,
                                "panel_independence": 0, "one_procedure": 0}


def test_facts_and_blocked_counts_are_plain_json():
    plan = solve(load_problem(generate(80, 40, seed=2)), time_limit_s=1, workers=1).to_dict()
    assert json.loads(json.dumps(plan)) == plan
    assert all(set(a["facts"]) >= {"field", "load_after", "kept"} for a in plan["assignments"])
    assert all(set(u["blocked"]) == {"eligible", "workload", "double_booking",
                                     "panel_independence", "one_procedure"}
               for u in plan["unfilled"])
