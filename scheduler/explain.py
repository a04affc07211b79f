"""Words for coordinators: reasons per assignment, diagnosis per unfilled seat, metrics."""

from __future__ import annotations

import numpy as np

from scheduler.eligibility import RULE_KEYS
from scheduler.model import Model, State
from scheduler.plan import Assignment, Plan, Unfilled
from scheduler.problem import Expert, Request

DIAGNOSIS_KEYS = RULE_KEYS + ("panel_independence",)


def best_field_match(request: Request, expert: Expert) -> tuple[str, str, int] | None:
    """(expert field, request field, proficiency) of the best matching field pair."""
    best = None
    for code, prof in expert.fields:
        for wanted in request.fields:
            if (code.startswith(wanted) or wanted.startswith(code)) and (
                    best is None or prof > best[2]):
                best = (code, wanted, prof)
    return best


def _city_name(model: Model, code: str) -> str:
    return model.problem.city(code).name or code


def reasons(model: Model, p: int, load_after: int, pinned: bool) -> tuple[str, ...]:
    """Short sentences a coordinator reads for the pair p."""
    pr = model.problem
    r, e = pr.requests[int(model.req[p])], pr.experts[int(model.exp[p])]
    out = []
    if pinned:
        out.append("pinned: confirmed earlier")
    match = best_field_match(r, e)
    if match:
        out.append(f"field {match[0]} matches request field {match[1]} "
                   f"(proficiency {match[2]}/3)")
    km = float(model.el.km[p])
    if r.remote:
        out.append("remote work: no travel")
    elif e.city == r.city:
        out.append(f"based in {_city_name(model, r.city)}: no travel")
    else:
        out.append(f"{km:.0f} km from {_city_name(model, e.city)} to "
                   f"{_city_name(model, r.city)}")
    out.append(f"load after this assignment {load_after}/{e.max_concurrent}")
    if model.prev[p]:
        out.append("kept from the previous proposal")
    if r.seats > 1:
        out.append(f"one of {r.seats} panel seats; no shared current organisation")
    return tuple(out)


def diagnose(model: Model, state: State, r: int) -> tuple[dict, str]:
    """Experts ruled out per hard rule for request r (counts only), and a sentence on
    what was the last straw."""
    counts = {k: int(v) for k, v in zip(RULE_KEYS, model.el.counts[r], strict=True)}
    counts["panel_independence"] = 0
    ps = np.arange(model.req_ptr[r], model.req_ptr[r + 1])
    ps = ps[~state.chosen[ps]]
    full = booked = panel = 0
    days = model.req_days[r]
    panel_orgs = set().union(*(model.exp_orgs[x] for x in state.panel.get(r, ())))
    for p in ps:
        e = int(model.exp[p])
        if state.load[e] >= model.cap[e]:
            full += 1
        elif len(days) and state.occ[e, days].any():
            booked += 1
        elif model.exp_orgs[e] & panel_orgs:
            panel += 1
    counts["workload"] += full
    counts["double_booking"] += booked
    counts["panel_independence"] += panel
    diagnosis = {k: counts[k] for k in DIAGNOSIS_KEYS}
    return diagnosis, _summary(len(ps), full, booked, panel)


def _summary(eligible: int, full: int, booked: int, panel: int) -> str:
    if eligible == 0:
        return ("no expert passes the fixed rules (role to language, busy days, spare "
                "capacity): widen the search")
    straws = [(full, "capacity (workload): the eligible experts are fully booked elsewhere"),
              (booked, "double booking: the eligible experts are busy on those days"),
              (panel, "panel independence: the eligible experts share an organisation "
                      "with the panel")]
    parts = [f"{n} of {eligible} eligible experts blocked by {text}" for n, text in straws if n]
    return "; ".join(parts) if parts else "eligible experts were left to higher-priority requests"


def metrics(model: Model, state: State, bound: int | None) -> dict:
    pr = model.problem
    chosen = state.chosen
    load = model.base_load + state.load
    util = load / np.maximum(1, model.max_conc)
    return {
        "filled_priority": state.filled_priority(),
        "seats_filled": int(chosen.sum()),
        "seats_total": int(sum(r.seats for r in pr.requests)),
        "fit": int(model.el.fit[chosen].sum()),
        "travel_km": round(float(model.el.km[chosen].astype(np.float64).sum()), 1),
        "previous_kept": int((model.prev & chosen).sum()),
        "previous_total": len(pr.previous),
        "max_utilization": round(float(util.max(initial=0.0)), 4),
        "bound": bound,
    }


def build_plan(model: Model, state: State, status: str, bound: int | None,
               solver: dict) -> Plan:
    """Assemble the dispatch-plan/1 result with reasons, diagnoses and metrics."""
    pr = model.problem
    pinned = set(model.pinned.tolist())
    load = model.base_load.copy()
    assignments = []
    for p in np.flatnonzero(state.chosen):
        p = int(p)
        r, e = int(model.req[p]), int(model.exp[p])
        load[e] += 1
        assignments.append(Assignment(
            request=pr.requests[r].id, expert=pr.experts[e].id, fit=int(model.el.fit[p]),
            distance_km=float(model.el.km[p]), pinned=p in pinned,
            reasons=reasons(model, p, int(load[e]), p in pinned)))
    unfilled = []
    for r in np.flatnonzero(state.filled < model.seats):
        r = int(r)
        diagnosis, summary = diagnose(model, state, r)
        unfilled.append(Unfilled(pr.requests[r].id, int(model.seats[r] - state.filled[r]),
                                 diagnosis, summary))
    return Plan(status=status, assignments=tuple(assignments), unfilled=tuple(unfilled),
                metrics=metrics(model, state, bound), solver=solver)
