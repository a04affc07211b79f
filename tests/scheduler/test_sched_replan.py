"""Re-planning keeps pinned pairs and most previous pairs; plain assignment is the flow optimum."""

from sched_builders import pairs

from scheduler import load_problem, solve, verify
from scheduler.flow import relax
from scheduler.generate import generate
from scheduler.model import State, build_model


def first_plan(n_req=200, n_exp=120, seed=5):
    doc = generate(n_req, n_exp, seed=seed)
    plan = solve(load_problem(doc), time_limit_s=1.5, workers=1).to_dict()
    doc["previous"] = [{"request": a["request"], "expert": a["expert"]}
                       for a in plan["assignments"]]
    return doc, plan


def spare_expert(doc, plan):
    used = {}
    for a in plan["assignments"]:
        used[a["expert"]] = used.get(a["expert"], 0) + 1
    for e in doc["experts"]:
        if e["max_concurrent"] - e["current_load"] - used.get(e["id"], 0) > 0 and not e.get(
                "unavailable") and e["appointed_until"] is None:
            return e
    raise AssertionError("no expert with spare capacity")


def test_new_request_is_filled_and_previous_pairs_are_kept():
    doc, plan = first_plan()
    e = spare_expert(doc, plan)
    doc["requests"].append({
        "id": "NEW", "case": "new", "role": e["roles"][0], "city": e["city"],
        "jurisdiction": e["jurisdiction"], "fields": [next(iter(e["fields"]))],
        "priority": 5, "remote": True, "days": []})
    problem = load_problem(doc)
    replan = solve(problem, time_limit_s=1.5, workers=1).to_dict()
    assert verify(problem, replan) == []
    assert any(a["request"] == "NEW" for a in replan["assignments"])
    kept = pairs(replan) & pairs(plan)
    assert len(kept) >= 0.995 * len(pairs(plan))
    assert replan["metrics"]["filled_priority"] >= plan["metrics"]["filled_priority"]


def test_expert_newly_unavailable_changes_only_what_it_must():
    doc, plan = first_plan()
    gone = plan["assignments"][0]["expert"]
    for e in doc["experts"]:
        if e["id"] == gone:
            e["unavailable"] = [{"start": "2025-01-01", "end": "2026-12-31"}]
            e["appointed_until"] = "2025-03-01"  # also written work is off now
    problem = load_problem(doc)
    replan = solve(problem, time_limit_s=1.5, workers=1).to_dict()
    assert verify(problem, replan) == []
    before = {p for p in pairs(plan) if p[1] != gone}
    assert len(before & pairs(replan)) >= 0.97 * len(before)
    assert all(a["expert"] != gone for a in replan["assignments"])


def test_pinned_pairs_survive_a_re_solve():
    doc = generate(150, 100, seed=2, history=True)
    problem = load_problem(doc)
    assert doc["pinned"], "the generator should pin some pairs"
    plan = solve(problem, time_limit_s=2, workers=1)
    assert {(p["request"], p["expert"]) for p in doc["pinned"]} <= pairs(plan)
    assert verify(problem, plan) == []


def plain(doc):
    for r in doc["requests"]:
        r["days"], r["seats"] = [], 1
    return doc


def test_plain_assignment_equals_the_min_cost_flow_optimum():
    problem = load_problem(plain(generate(400, 200, seed=4)))
    model = build_model(problem)
    chosen, optimal = relax(model)
    assert optimal
    flow_state = State(model)
    for p in chosen.nonzero()[0]:
        flow_state.add(int(p))
    plan = solve(problem, time_limit_s=2, workers=1)
    plan_state = State(model)
    index = {(int(r), int(e)): p for p, (r, e) in enumerate(zip(model.req, model.exp,
                                                                strict=True))}
    r_pos = {r.id: k for k, r in enumerate(problem.requests)}
    e_pos = {e.id: k for k, e in enumerate(problem.experts)}
    for a in plan.assignments:
        plan_state.add(index[r_pos[a.request], e_pos[a.expert]])
    assert plan_state.objective() == flow_state.objective()
    assert plan.status == "optimal"


def test_solver_never_falls_below_hand_dispatch():
    from scheduler.baseline import baseline_plan

    problem = load_problem(generate(300, 150, seed=9))
    ours, theirs = solve(problem, time_limit_s=2, workers=1), baseline_plan(problem)
    assert verify(problem, theirs) == []
    assert ours.metrics["filled_priority"] >= theirs.metrics["filled_priority"]
