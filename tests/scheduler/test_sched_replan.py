"""Re-planning keeps pinned pairs and most previous pairs; plain assignment is the flow optimum."""

import copy
import json

import pytest
from sched_builders import a_problem, a_request, an_expert, pairs

from scheduler import load_problem, solve, verify
from scheduler.flow import relax
from scheduler.generate import generate
from scheduler.model import State, build_model
from scheduler.replan import replan


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


def add_request_for(doc, expert):
    """A new, urgent, remote request the spare expert can take (id NEW)."""
    doc["requests"].append({
        "id": "NEW", "case": "new", "role": expert["roles"][0], "city": expert["city"],
        "jurisdiction": expert["jurisdiction"], "fields": [next(iter(expert["fields"]))],
        "priority": 5, "remote": True, "days": []})


def test_new_request_is_filled_and_previous_pairs_are_kept():
    doc, plan = first_plan()
    add_request_for(doc, spare_expert(doc, plan))
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


# -- scheduler.replan: re-plan from the previous pairs, repairing only what changed ----------

def with_previous(doc, plan):
    return dict(doc, previous=[{"request": a["request"], "expert": a["expert"]}
                               for a in plan["assignments"]])


@pytest.fixture(scope="module")
def mid_size():
    """A 1,000 x 500 problem and its plan: the previous proposal of the re-plans below."""
    doc = generate(1000, 500, seed=3)
    plan = solve(load_problem(doc), time_limit_s=2, workers=1).to_dict()
    return with_previous(doc, plan), plan


def decline(doc, plan):
    """The expert of the first unpinned pair declines it: he is `excluded` by the request."""
    a = next(a for a in plan["assignments"] if not a["pinned"])
    for r in doc["requests"]:
        if r["id"] == a["request"]:
            r["excluded"] = [*r.get("excluded", []), a["expert"]]
    return {(a["request"], a["expert"])}


def unavailable(doc, plan):
    """An expert with assignments on days becomes unavailable on those days."""
    days = {r["id"]: r["days"] for r in doc["requests"]}
    gone = next(a["expert"] for a in plan["assignments"] if days[a["request"]])
    for e in doc["experts"]:
        if e["id"] == gone:
            e["unavailable"] = [*(e.get("unavailable") or []), *(
                d for a in plan["assignments"] if a["expert"] == gone for d in days[a["request"]])]
    return {(a["request"], a["expert"]) for a in plan["assignments"]
            if a["expert"] == gone and days[a["request"]]}


def new_request(doc, plan):
    """A new urgent request shaped like the first one."""
    doc["requests"].append(dict(doc["requests"][0], id="NEW", case="new case", priority=5,
                                excluded=[]))
    return set()


@pytest.mark.parametrize("change", [new_request, decline, unavailable])
def test_replan_keeps_the_previous_pairs_still_valid_after_one_change(mid_size, change):
    base, plan = mid_size
    doc = copy.deepcopy(base)
    invalid = change(doc, plan)
    problem = load_problem(doc)
    out = replan(problem, time_limit_s=5, workers=1).to_dict()
    assert verify(problem, out) == []
    still_valid = pairs(plan) - invalid
    assert len(still_valid & pairs(out)) >= 0.995 * len(still_valid)
    assert not invalid & pairs(out)  # the declined pair, the unavailable expert's pairs
    assert out["solver"]["replan"] is True
    assert out["solver"]["previous_kept"] == len(still_valid & pairs(out))
    lost = sum(r["priority"] for r in doc["requests"] for q, _ in invalid if q == r["id"])
    assert out["metrics"]["filled_priority"] >= plan["metrics"]["filled_priority"] - lost


def test_replan_keeps_every_pinned_pair():
    doc = generate(150, 100, seed=2, history=True)
    assert doc["pinned"] and doc["previous"], "the generator should pin and propose pairs"
    # The previous proposal asks for the pinned pairs' seats again: they stay pinned.
    doc["previous"] += [{"request": p["request"], "expert": e["id"]} for p in doc["pinned"]
                        for e in doc["experts"][:3] if e["id"] != p["expert"]]
    problem = load_problem(doc)
    out = replan(problem, time_limit_s=5, workers=1)
    assert {(p["request"], p["expert"]) for p in doc["pinned"]} <= pairs(out)
    assert verify(problem, out) == []


def test_replan_fills_a_new_request_when_an_expert_is_free():
    doc, plan = first_plan()
    add_request_for(doc, spare_expert(doc, plan))
    problem = load_problem(doc)
    out = replan(problem, time_limit_s=5, workers=1).to_dict()
    assert verify(problem, out) == []
    assert any(a["request"] == "NEW" for a in out["assignments"])
    assert pairs(plan) <= pairs(out)
    assert out["metrics"]["filled_priority"] > plan["metrics"]["filled_priority"]


def test_replan_drops_the_declined_pair_and_refills_its_seat():
    doc, plan = first_plan()
    declined = decline(doc, plan)
    (request, expert), = declined
    # A newly registered twin of the expert who declined, free: the seat can be refilled.
    twin = next(e for e in doc["experts"] if e["id"] == expert)
    doc["experts"].append(dict(twin, id="TWIN", current_load=0))
    problem = load_problem(doc)
    out = replan(problem, time_limit_s=5, workers=1).to_dict()
    assert verify(problem, out) == []
    assert not declined & pairs(out)
    assert any(a["request"] == request for a in out["assignments"])
    assert out["metrics"]["filled_priority"] >= plan["metrics"]["filled_priority"]
    assert len(pairs(plan) & pairs(out)) >= 0.99 * (len(pairs(plan)) - 1)


CHAIN = dict(
    experts=[an_expert("E1", fields={"G06F": 3, "H04L": 3}, max_concurrent=1),
             an_expert("E2", city="hefei", jurisdiction="AH", fields={"G06F": 2},
                       max_concurrent=1)],
    requests=[a_request("R1", priority=1), a_request("NEW", priority=5, fields=["H04L"])],
    previous=[{"request": "R1", "expert": "E1"}])


def test_replan_moves_an_expert_along_a_chain_to_fill_an_urgent_seat():
    problem = load_problem(a_problem(**CHAIN))
    out = replan(problem, time_limit_s=5, workers=1)
    assert verify(problem, out) == []
    assert pairs(out) == {("NEW", "E1"), ("R1", "E2")}


def test_replan_keeps_a_previous_pair_an_equally_urgent_seat_would_take_for_nothing():
    doc = a_problem(**CHAIN)
    doc["experts"].pop()  # no E2: R1 could not be refilled
    for r in doc["requests"]:
        r["priority"] = 5
    problem = load_problem(doc)
    out = replan(problem, time_limit_s=5, workers=1)
    assert verify(problem, out) == []
    assert pairs(out) == {("R1", "E1")}


def test_cli_replan_writes_a_replan_that_verifies(tmp_path):
    from scheduler.__main__ import main

    doc = a_problem(**CHAIN)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["solve", "--replan", str(path), "-o", str(tmp_path / "plan.json")]) == 0
    out = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert out["solver"]["replan"] is True and out["solver"]["time_limit_s"] == 1.0
    assert verify(load_problem(doc), out) == []
