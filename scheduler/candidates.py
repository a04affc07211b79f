"""Experts a coordinator could put on one request, best first, and what each would break."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from itertools import islice

import numpy as np

from scheduler.explain import pair_facts
from scheduler.model import Model, build_model
from scheduler.problem import Expert, Problem, Request


@dataclass(frozen=True)
class Candidate:
    expert: str
    value: int  # the pair's objective coefficient (Model.value); compare within one call
    fit: int
    distance_km: float
    facts: dict  # explain.pair_facts, with load_after counting the current proposal
    clashes: tuple[dict, ...] = ()  # {"rule": key, "with": request id, expert id or None}

    def to_dict(self) -> dict:
        return {
            "expert": self.expert, "value": self.value, "fit": self.fit,
            "distance_km": round(self.distance_km, 1), "facts": dict(self.facts),
            "clashes": [dict(c) for c in self.clashes],
        }


class _Proposal:
    """The current assignments, indexed both ways; pairs naming unknown ids are ignored."""

    def __init__(self, problem: Problem, assignments: list[dict]):
        requests = {r.id: r for r in problem.requests}
        experts = {e.id: e for e in problem.experts}
        self.requests_of: dict[str, list[Request]] = defaultdict(list)
        self.experts_on: dict[str, list[Expert]] = defaultdict(list)
        for request_id, expert_id in dict.fromkeys((a["request"], a["expert"])
                                                   for a in assignments):
            if request_id in requests and expert_id in experts:
                self.requests_of[expert_id].append(requests[request_id])
                self.experts_on[request_id].append(experts[expert_id])

    def load_after_adding(self, expert: Expert) -> int:
        return expert.current_load + len(self.requests_of[expert.id]) + 1

    def clashes(self, request: Request, expert: Expert) -> tuple[dict, ...]:
        """The rules that adding (request, expert) to the proposal would break."""
        out = [{"rule": "double_booking", "with": other.id}
               for other in self.requests_of[expert.id] if request.shares_a_day_with(other)]
        if self.load_after_adding(expert) > expert.max_concurrent:
            out.append({"rule": "workload", "with": None})
        panel = self.experts_on[request.id]
        if len(panel) >= request.seats:
            out.append({"rule": "seats", "with": None})
        out += [{"rule": "panel_independence", "with": member.id} for member in panel
                if member.current_orgs & expert.current_orgs]
        key = request.procedure_key
        out += [{"rule": "one_procedure", "with": other.id}
                for other in self.requests_of[expert.id]
                if key is not None and (ok := other.procedure_key) is not None
                and ok[0] == key[0] and ok[1] != key[1]]
        return tuple(out)


def candidates(problem: Problem, assignments: list[dict], request_id: str,
               limit: int = 10) -> list[Candidate]:
    """The `limit` best experts eligible for one request, with what adding each would break.

    Eligible means the fixed rules of eligibility.eligible_pairs (role to language, busy
    days, spare capacity). Experts already on the request in `assignments` (the current
    proposal: pinned and proposed {"request", "expert"} pairs) are left out. The rest are
    ranked by the solver's own value of the pair, best first; `clashes` lists the rules the
    pair would break next to `assignments` (double booking, workload, seats, panel
    independence, one procedure per dispute). Raises ValueError for an unknown request.
    """
    request = next((r for r in problem.requests if r.id == request_id), None)
    if request is None:
        raise ValueError(f"unknown request {request_id!r}")
    proposal = _Proposal(problem, assignments)
    model = build_model(_only(problem, request))
    on_request = {e.id for e in proposal.experts_on[request.id]}
    best_first = (int(p) for p in np.argsort(-model.value, kind="stable"))
    newcomers = (p for p in best_first
                 if model.problem.experts[int(model.exp[p])].id not in on_request)
    return [_candidate(model, p, proposal) for p in islice(newcomers, max(0, limit))]


def _only(problem: Problem, request: Request) -> Problem:
    """The problem cut down to one request, at a fraction of the cost of the whole.

    No rule of eligibility looks at another request, so the pairs are the same. Their values
    keep their order: only the priority weight (Model.big) comes from this smaller problem,
    and within one request it adds the same amount to every pair.
    """
    previous = tuple(p for p in problem.previous if p.request == request.id)
    return dataclasses.replace(problem, requests=(request,), pinned=(), previous=previous)


def _candidate(model: Model, p: int, proposal: _Proposal) -> Candidate:
    request = model.problem.requests[int(model.req[p])]
    expert = model.problem.experts[int(model.exp[p])]
    return Candidate(
        expert=expert.id, value=int(model.value[p]), fit=int(model.el.fit[p]),
        distance_km=float(model.el.km[p]),
        facts=pair_facts(model, p, proposal.load_after_adding(expert)),
        clashes=proposal.clashes(request, expert))
