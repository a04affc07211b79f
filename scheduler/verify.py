"""Check a plan against all 13 hard rules, pair by pair, and rule one_procedure between
the requests of one dispute (reported as rule 6, which carries it, with its own key).

Written on purpose without numpy and sharing no rule code with `eligibility.py` or
the helpers on `Problem`/`Expert` (`days_of`, `recognised`, `current_orgs`,
`haversine_km`, `recognised`, `waived_for`, `covers`): every rule is restated here from the
format page with its own small helpers, so the tests that cross-check the two
implementations compare two readings of the rules, not one. Shared are the parsed data
(the dataclasses), the rule names (scheduler/rules.py) and two facts that are definitions,
not rules: what a field match is and how far apart two places are (scheduler/domain.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from scheduler import rules
from scheduler.domain import fields_match, great_circle_km
from scheduler.plan import Plan
from scheduler.problem import Expert, Pair, Problem, Request

RULE_NAMES = {number: rule.key for number, rule in sorted(rules.BY_NUMBER.items())}


ONE_PROCEDURE = rules.rule("one_procedure")


@dataclass(frozen=True)
class Violation:
    """One broken rule; rule 0 means the plan names an unknown request or expert.

    `key` is the rule table's key: the numbered rule's own, or the unnumbered rule it
    carries (one_procedure, carried as rule 6).
    """

    rule: int
    request: str | None
    expert: str | None
    message: str
    key: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", RULE_NAMES[self.rule])

    def to_dict(self) -> dict:
        return {"rule": self.rule, "key": self.key, "request": self.request,
                "expert": self.expert, "message": self.message}

    def __str__(self) -> str:
        return f"rule {self.rule} ({self.key}): {self.message}"


def _conflicted_orgs(problem: Problem, expert: Expert) -> set[str]:
    """Rule 6: declared conflicts and affiliations not yet cooled off on as_of."""
    cutoff = problem.as_of - problem.settings.cooling_off_days
    orgs = set(expert.conflicts)
    orgs.update(a.org for a in expert.organizations if a.until is None or a.until >= cutoff)
    return orgs


def _current_orgs(expert: Expert) -> set[str]:
    """Rule 12: organisations with `until` null."""
    return {a.org for a in expert.organizations if a.until is None}


def _days(problem: Problem, r: Request) -> tuple[int, int]:
    """First and last day of D(r): the request's days, or {as_of} for written work."""
    if not r.days:
        return problem.as_of, problem.as_of
    return min(d.start for d in r.days), max(d.end for d in r.days)


def _jurisdiction_fault(problem: Problem, r: Request, e: Expert) -> str | None:
    """Rule 4, or None when it holds. An arbitrator request naming an institution needs a
    place on that institution's roster over all of D(r); any other request needs the same
    jurisdiction or a recognition group that holds both and covers the request's role."""
    if r.role == "arbitrator" and r.institution is not None:
        first, last = _days(problem, r)
        for panel in e.panels:
            if panel.institution == r.institution \
                    and (panel.start is None or panel.start <= first) \
                    and (panel.until is None or panel.until >= last):
                return None
        return f"{e.id} is not on the roster of {r.institution} for the request's days"
    if e.jurisdiction == r.jurisdiction:
        return None
    for group in problem.recognition_groups:
        if e.jurisdiction in group.members and r.jurisdiction in group.members \
                and r.role in group.roles:
            return None
    return (f"jurisdiction {e.jurisdiction} does not recognise {r.jurisdiction} "
            f"for the {r.role} role")


def _waived(r: Request, e: Expert) -> set[str]:
    """Rule 6: parties whose conflict with this expert the request records as waived."""
    out: set[str] = set()
    for expert, orgs in r.waivers:
        if expert == e.id:
            out |= orgs
    return out


def _distance_km(problem: Problem, a_code: str, b_code: str) -> float:
    """Rule 5: great-circle distance between city centres, earth radius 6371 km."""
    cities = problem.__dict__.get("_verify_cities")
    if cities is None:  # verify's own index, cached on the (frozen) problem
        cities = {c.code: c for c in problem.cities}
        object.__setattr__(problem, "_verify_cities", cities)
    a, b = cities[a_code], cities[b_code]
    return great_circle_km(a.lat, a.lon, b.lat, b.lon)


def _km_text(km: float, limit: float) -> str:
    """Enough decimals that the distance visibly exceeds the limit (300.00001 > 300)."""
    for digits in range(2, 12):
        if round(km, digits) > limit:
            return f"{km:.{digits}f}"
    return repr(km)


def pair_violations(problem: Problem, r: Request, e: Expert) -> list[Violation]:
    """Rules 1-7 and 11 for one pair, plus the busy half of rule 8."""
    out = []

    def bad(rule: int, message: str) -> None:
        out.append(Violation(rule, r.id, e.id, message))

    if r.role not in e.roles:
        bad(1, f"{e.id} is not a {r.role}")
    first, last = _days(problem, r)
    if e.appointed_from is not None and e.appointed_from > first:
        bad(2, f"{e.id}'s appointment starts after the request's first day")
    if e.appointed_until is not None and e.appointed_until < last:
        bad(2, f"{e.id}'s appointment ends before the request's last day")
    if not any(fields_match(ef, rf) for ef, _ in e.fields for rf in r.fields):
        bad(3, f"no field of {e.id} matches {', '.join(r.fields)}")
    if fault := _jurisdiction_fault(problem, r, e):
        bad(4, fault)
    if not r.remote and e.max_travel_km is not None:
        km = _distance_km(problem, e.city, r.city)
        if km > e.max_travel_km:
            bad(5, f"{_km_text(km, e.max_travel_km)} km is over {e.id}'s limit of "
                   f"{e.max_travel_km:g} km")
    clash = sorted((_conflicted_orgs(problem, e) & r.parties) - _waived(r, e))
    if clash:
        bad(6, f"{e.id} is conflicted with {', '.join(clash)}")
    if e.id in r.excluded:
        bad(6, f"{e.id} is excluded from {r.id}")
    if any(d.overlaps(u) for d in r.days for u in e.unavailable):
        bad(7, f"{e.id} is unavailable on days of {r.id}")
    if any(d.overlaps(b) for d in r.days for b in e.busy):
        bad(8, f"{r.id}'s days overlap {e.id}'s busy days")
    if r.language is not None and r.language not in e.languages:
        bad(11, f"{e.id} does not speak {r.language}")
    return out


def verify_pairs(problem: Problem, pairs: list[Pair]) -> list[Violation]:
    """Check a list of (request, expert) pairs against every rule; return all violations."""
    requests = {r.id: r for r in problem.requests}
    experts = {e.id: e for e in problem.experts}
    out: list[Violation] = []
    known: list[tuple[Request, Expert]] = []
    seen: set[tuple[str, str]] = set()
    for p in pairs:
        if p.request not in requests or p.expert not in experts:
            gone = [f"request {p.request!r}"] if p.request in problem.left_out_requests else []
            gone += [f"expert {p.expert!r}"] if p.expert in problem.left_out_experts else []
            why = f" ({' and '.join(gone)} left out of the problem)" if gone else ""
            out.append(Violation(0, p.request, p.expert,
                                 f"unknown request or expert in ({p.request!r}, "
                                 f"{p.expert!r}){why}"))
            continue
        if (p.request, p.expert) in seen:
            out.append(Violation(10, p.request, p.expert,
                                 f"{p.expert} is assigned twice to {p.request}"))
            continue
        seen.add((p.request, p.expert))
        known.append((requests[p.request], experts[p.expert]))
    for r, e in known:
        out.extend(pair_violations(problem, r, e))
    out.extend(_double_booking_and_workload(known))
    out.extend(_seats_and_panels(known))
    out.extend(_one_procedure(known))
    return out


def _procedure(r: Request) -> tuple[str, str] | None:
    """Rule one_procedure: (dispute, procedure) of an investigator request naming a dispute;
    the procedure defaults to the request's case."""
    if r.dispute is None or r.role not in ONE_PROCEDURE.roles:
        return None
    return r.dispute, r.procedure if r.procedure is not None else r.case


def _one_procedure(known: list[tuple[Request, Expert]]) -> list[Violation]:
    """An expert on requests of two procedures of one dispute (SPC 2019 Art. 5)."""
    out = []
    first: dict[tuple[str, str], tuple[str, str]] = {}  # (expert, dispute) -> (proc, request)
    number = rules.number_of(ONE_PROCEDURE.carried_by)
    for r, e in known:
        key = _procedure(r)
        if key is None:
            continue
        dispute, procedure = key
        seen = first.setdefault((e.id, dispute), (procedure, r.id))
        if seen[0] != procedure:
            out.append(Violation(number, r.id, e.id,
                                 f"{e.id} would serve two procedures of dispute {dispute}: "
                                 f"{seen[0]} ({seen[1]}) and {procedure} ({r.id})",
                                 key=ONE_PROCEDURE.key))
    return out


def _double_booking_and_workload(known: list[tuple[Request, Expert]]) -> list[Violation]:
    out = []
    by_expert: dict[str, list[Request]] = defaultdict(list)
    expert_of = {}
    for r, e in known:
        by_expert[e.id].append(r)
        expert_of[e.id] = e
    for eid, reqs in by_expert.items():
        e = expert_of[eid]
        for i, a in enumerate(reqs):
            for b in reqs[i + 1:]:
                if any(x.overlaps(y) for x in a.days for y in b.days):
                    out.append(Violation(8, b.id, eid, f"{eid} is booked on {a.id} and {b.id} "
                                                       "on the same day"))
        if e.current_load + len(reqs) > e.max_concurrent:
            out.append(Violation(9, None, eid, f"{eid} would carry {e.current_load + len(reqs)}"
                                               f" assignments, above {e.max_concurrent}"))
    return out


def _seats_and_panels(known: list[tuple[Request, Expert]]) -> list[Violation]:
    out = []
    by_request: dict[str, list[Expert]] = defaultdict(list)
    request_of = {}
    for r, e in known:
        by_request[r.id].append(e)
        request_of[r.id] = r
    for rid, panel in by_request.items():
        r = request_of[rid]
        if len(panel) > r.seats:
            out.append(Violation(10, rid, None, f"{rid} has {len(panel)} experts for "
                                                f"{r.seats} seat(s)"))
        for i, a in enumerate(panel):
            for b in panel[i + 1:]:
                shared = sorted(_current_orgs(a) & _current_orgs(b))
                if shared:
                    out.append(Violation(12, rid, b.id, f"{a.id} and {b.id} both work at "
                                                        f"{', '.join(shared)}"))
    return out


def plan_pairs(plan: dict | Plan) -> list[Pair]:
    """The well-formed (request, expert) pairs of a plan; malformed entries are skipped."""
    return _read_plan(plan)[0]


def _read_plan(plan: dict | Plan) -> tuple[list[Pair], list[Violation]]:
    """Pairs of the plan, and a rule-0 violation for every entry that is not
    `{request: string, expert: string}` (a plan-format fault makes the plan invalid)."""
    if isinstance(plan, Plan):
        return [Pair(a.request, a.expert) for a in plan.assignments], []
    if not isinstance(plan, dict):
        return [], [Violation(0, None, None, "plan: must be a dispatch-plan/1 object")]
    items = plan.get("assignments")
    if items is None:
        return [], []
    if not isinstance(items, list):
        return [], [Violation(0, None, None, "plan: assignments must be a list")]
    pairs, bad = [], []
    for k, a in enumerate(items):
        if not isinstance(a, dict):
            bad.append(Violation(0, None, None, f"assignments[{k}]: must be an object "
                                                f"{{request, expert}}, got {a!r:.80}"))
            continue
        r, e = a.get("request"), a.get("expert")
        if not (isinstance(r, str) and isinstance(e, str)):
            bad.append(Violation(0, r if isinstance(r, str) else None,
                                 e if isinstance(e, str) else None,
                                 f"assignments[{k}]: request and expert must be id strings, "
                                 f"got ({r!r:.60}, {e!r:.60})"))
            continue
        pairs.append(Pair(r, e))
    return pairs, bad


def verify(problem: Problem, plan: dict | Plan) -> list[Violation]:
    """Return every violation of the 13 rules by `plan` (a Plan or a dispatch-plan/1 dict).

    Rule 0 covers the plan's own faults: entries that are not `{request, expert}` objects
    with string ids, and ids the problem does not know.
    """
    pairs, out = _read_plan(plan)
    out += verify_pairs(problem, pairs)
    chosen = {(p.request, p.expert) for p in pairs}
    for p in problem.pinned:
        if (p.request, p.expert) not in chosen:
            out.append(Violation(13, p.request, p.expert,
                                 f"pinned pair ({p.request}, {p.expert}) is missing"))
    return out
