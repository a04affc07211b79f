"""Words for coordinators: reasons per assignment, diagnosis per unfilled seat, metrics.

The English reasons and summaries are worded from facts (pair_facts, blocked_counts) that
the plan carries too, so the registry can word them in any language.
"""

from __future__ import annotations

import numpy as np

from scheduler import rules
from scheduler.domain import fields_match
from scheduler.eligibility import RULE_KEYS
from scheduler.model import Model, State
from scheduler.plan import Assignment, Plan, Unfilled
from scheduler.problem import Expert, Request

# The rules an unfilled seat's diagnosis counts: the per-pair rules, then the ones the plan
# itself adds (rule 12, and one_procedure between the stages of a dispute); keys of
# scheduler/rules.py.
PLAN_KEYS = ("workload", "double_booking", "panel_independence", "one_procedure")
DIAGNOSIS_KEYS = RULE_KEYS + (rules.BY_NUMBER[12].key, rules.rule("one_procedure").key)


def best_field_match(request: Request, expert: Expert,
                     fit: int | None = None) -> tuple[str, str, int] | None:
    """(expert field, request field, proficiency) of the best matching field pair: the first
    in the expert's and then the request's order among those of the highest proficiency.

    `fit`, the pair's best proficiency when eligibility has it, spares comparing the codes
    of the expert's other fields (the same answer)."""
    best = None
    for code, prof in expert.fields:
        if fit and prof != fit:
            continue
        for wanted in request.fields:
            if fields_match(code, wanted) and (best is None or prof > best[2]):
                best = (code, wanted, prof)
    return best


def _city_name(model: Model, code: str) -> str:
    return model.problem.city(code).name or code


def pair_facts(model: Model, p: int, load_after: int) -> dict:
    """What the reasons for pair p say, as data the registry can word in any language."""
    pr = model.problem
    r, e = pr.requests[int(model.req[p])], pr.experts[int(model.exp[p])]
    field, request_field, proficiency = (best_field_match(r, e, int(model.el.fit[p]))
                                         or (None, None, None))
    facts = {
        "field": field, "request_field": request_field, "proficiency": proficiency,
        "from_city": e.city, "to_city": r.city, "remote": r.remote,
        "load_after": load_after, "capacity": e.max_concurrent,
        "kept": bool(model.prev[p]), "panel_seats": r.seats,
    }
    if r.by_panel:  # rule 4 was met by the institution's roster, not by geography
        facts["roster"] = r.institution
    return facts


def reasons(model: Model, facts: dict, distance_km: float, pinned: bool) -> tuple[str, ...]:
    """Short English sentences a coordinator reads, worded from the pair's facts."""
    out = []
    if pinned:
        out.append("pinned: confirmed earlier")
    if facts["field"] is not None:
        out.append(f"field {facts['field']} matches request field {facts['request_field']} "
                   f"(proficiency {facts['proficiency']}/3)")
    if facts["remote"]:
        out.append("remote work: no travel")
    elif facts["from_city"] == facts["to_city"]:
        out.append(f"based in {_city_name(model, facts['to_city'])}: no travel")
    else:
        out.append(f"{distance_km:.0f} km from {_city_name(model, facts['from_city'])} to "
                   f"{_city_name(model, facts['to_city'])}")
    out.append(f"load after this assignment {facts['load_after']}/{facts['capacity']}")
    if facts.get("roster"):
        out.append(f"on the roster of institution {facts['roster']}")
    if facts["kept"]:
        out.append("kept from the previous proposal")
    if facts["panel_seats"] > 1:
        out.append(f"one of {facts['panel_seats']} panel seats; no shared current organisation")
    return tuple(out)


def blocked_counts(model: Model, state: State, r: int) -> dict:
    """Eligible experts request r has left, and how many of them this plan blocks by
    workload, double booking, panel independence or one procedure per dispute (each expert
    under the first)."""
    ps = np.arange(model.req_ptr[r], model.req_ptr[r + 1])
    es = model.exp[ps[~state.chosen[ps]]]
    # Vectorised: a plan at 20,000 x 5,000 leaves thousands of seats open, ~300 pairs each.
    full = state.load[es] >= model.cap[es]
    days = model.req_days[r]
    busy = ~full & (state.occ[np.ix_(es, days)].any(axis=1) if len(days) else False)
    panel_orgs = set().union(*(model.exp_orgs[x] for x in state.panel.get(r, ())))
    free = es[~full & ~busy].tolist()
    clash = [e for e in free if model.exp_orgs[e] & panel_orgs] if panel_orgs else []
    other = 0
    if model.req_dispute[r] >= 0:
        other = sum(1 for e in set(free) - set(clash) if state.other_procedure(r, e))
    return {"eligible": len(es), "workload": int(full.sum()),
            "double_booking": int(np.sum(busy)), "panel_independence": len(clash),
            "one_procedure": other}


def diagnose(model: Model, state: State, r: int) -> tuple[dict, dict, str]:
    """Experts ruled out per hard rule for request r (counts only), the counts this plan
    blocks (blocked_counts), and a sentence on what was the last straw."""
    counts = {k: int(v) for k, v in zip(RULE_KEYS, model.el.counts[r], strict=True)}
    counts["panel_independence"] = counts["one_procedure"] = 0
    blocked = blocked_counts(model, state, r)
    for rule in PLAN_KEYS:
        counts[rule] += blocked[rule]
    diagnosis = {k: counts[k] for k in DIAGNOSIS_KEYS}
    return diagnosis, blocked, _summary(blocked)


def _summary(blocked: dict) -> str:
    eligible = blocked["eligible"]
    if eligible == 0:
        return ("no expert passes the fixed rules (role to language, busy days, spare "
                "capacity): widen the search")
    straws = [("workload", "capacity (workload): the eligible experts are fully booked "
                           "elsewhere"),
              ("double_booking", "double booking: the eligible experts are busy on those days"),
              ("panel_independence", "panel independence: the eligible experts share an "
                                     "organisation with the panel"),
              ("one_procedure", "one procedure per dispute: the eligible experts serve "
                                "another stage of this dispute")]
    parts = [f"{blocked[rule]} of {eligible} eligible experts blocked by {text}"
             for rule, text in straws if blocked[rule]]
    return "; ".join(parts) if parts else "eligible experts were left to higher-priority requests"


def metrics(model: Model, state: State, bound: int | None) -> dict:
    pr = model.problem
    chosen = state.chosen
    load = model.base_load + state.load
    util = load / np.maximum(1, model.max_conc)
    priority = model.el.index.req_prio
    return {
        "filled_priority": state.filled_priority(),
        "seats_filled": int(chosen.sum()),
        "seats_total": int(sum(r.seats for r in pr.requests)),
        "fit": int(model.el.fit[chosen].sum()),
        "travel_km": round(float(model.el.km[chosen].astype(np.float64).sum()), 1),
        "previous_kept": int((model.prev & chosen).sum()),
        "previous_total": len(pr.previous),
        "max_utilization": round(float(util.max(initial=0.0)), 4),
        # Between the most and the least loaded expert: how evenly the work is shared.
        "utilization_spread": round(float(util.max(initial=0.0) - util.min(initial=0.0)), 4),
        # Per priority (5 most urgent): [seats filled, seats asked for].
        "by_priority": {str(int(level)): [int(state.filled[priority == level].sum()),
                                          int(model.seats[priority == level].sum())]
                        for level in np.unique(priority)},
        "bound": bound,
    }


def build_plan(model: Model, state: State, status: str, bound: int | None,
               solver: dict, hand_dispatch: State | None = None) -> Plan:
    """Assemble the dispatch-plan/1 result with reasons, facts, diagnoses and metrics (with
    hand dispatch's metrics beside them, when it was computed)."""
    pr = model.problem
    pinned = set(model.pinned.tolist())
    load = model.base_load.copy()
    assignments = []
    for p in np.flatnonzero(state.chosen):
        p = int(p)
        r, e = int(model.req[p]), int(model.exp[p])
        load[e] += 1
        facts = pair_facts(model, p, int(load[e]))
        distance_km = float(model.el.km[p])
        assignments.append(Assignment(
            request=pr.requests[r].id, expert=pr.experts[e].id, fit=int(model.el.fit[p]),
            distance_km=distance_km, pinned=p in pinned,
            reasons=reasons(model, facts, distance_km, p in pinned), facts=facts))
    unfilled = []
    for r in np.flatnonzero(state.filled < model.seats):
        r = int(r)
        diagnosis, blocked, summary = diagnose(model, state, r)
        unfilled.append(Unfilled(pr.requests[r].id, int(model.seats[r] - state.filled[r]),
                                 diagnosis=diagnosis, summary=summary, blocked=blocked))
    figures = metrics(model, state, bound)
    if hand_dispatch is not None:
        figures["hand_dispatch"] = metrics(model, hand_dispatch, bound)
    return Plan(status=status, assignments=tuple(assignments), unfilled=tuple(unfilled),
                metrics=figures, solver=solver, warnings=tuple(pr.warnings))
