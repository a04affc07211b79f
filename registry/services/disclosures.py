"""Disclosure and waiver (issue 9, item 4; docs/disclosure.md).

For a (request, expert) pair the detectors find the situations the IBA lists name
and the registry's data can carry. Each finding names its rule by key; the rule table
(scheduler/rules.py) gives its severity:

- `disclose` (orange list): allowed, shown on the proposal, and confirmed only once the
  parties' no-objection (or waiver) is recorded;
- `waivable` (waivable red list): a bar unless the parties' express written waiver is
  recorded; the waiver reaches the scheduler as the request's `waivers` (problem export);
- `bar`: no waiver can clear it.

A detector is a function (request, expert) -> [Finding]; DETECTORS lists them, and a new
one joins by being added there. The rules apply by role (the table's `roles`): the IBA rules
concern arbitrators; a personal relationship with a party (CPL Art. 47(3)) concerns every role.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.attributes import set_committed_value

from registry.extensions import db
from registry.i18n import N_
from registry.models import (
    ACTIVE_ASSIGNMENT_STATUSES,
    SERVED_STATUSES,
    STANDING_STATUSES,
    Affiliation,
    Assignment,
    Case,
    DeclaredConflict,
    DispatchRequest,
    DomainError,
    Expert,
    ExpertRole,
    Organization,
    Party,
    User,
    Waiver,
    WaiverKind,
)
from registry.models.base import LOCAL_TIME
from registry.models.disclosures import CLEARS
from registry.services import access, audit, memo, persons
from registry.services import permissions as may
from registry.services.locks import hold
from scheduler import rules

# Counts from ../shared/data/conflict_rules.csv: IBA-OR-3.1.3 (>= 2 by the same party) and
# IBA-OR-3.3.x-counsel (> 3 with the same counsel or firm), both within LOOKBACK_YEARS.
MIN_APPOINTMENTS = {"repeat_party_appointments": 2, "repeat_counsel_appointments": 4}
MAX_GROUP_DEPTH = 10  # a group deeper than this is cut (and a cycle never loops)


@dataclass(frozen=True)
class Finding:
    """A situation under one rule; `template` and `params` word it (i18n.translate_error
    translates it as it does a DomainError)."""

    rule: str
    template: str
    params: dict = field(default_factory=dict, compare=False)
    orgs: tuple[int, ...] = ()  # the organisations it concerns (a waiver's scope)

    @property
    def detail(self) -> str:
        return self.template.format(**self.params)


@dataclass(frozen=True)
class Disclosure:
    """A finding and the parties' recorded answers that clear it."""

    finding: Finding
    waivers: tuple[Waiver, ...] = ()

    @property
    def rule(self) -> rules.Rule:
        return rules.rule(self.finding.rule)

    @property
    def severity(self) -> str:
        return self.rule.severity

    @property
    def cleared(self) -> bool:
        return bool(self.waivers)


class DisclosureNotCleared(DomainError):
    """Confirmation waits for the parties' answer to a disclosure (HTTP 409)."""

    status = 409


# -- what the parties and the expert are to each other ------------------------------------

def applies(rule_key: str, request: DispatchRequest) -> bool:
    """Whether the rule concerns requests of this role (the table's `roles`)."""
    return request.role.value in rules.rule(rule_key).roles


def lookback_start(today: date) -> date:
    years = rules.LOOKBACK_YEARS
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def party_orgs(case: Case) -> dict[int, Party]:
    """The case's parties that are organisations, by organisation id."""
    return {p.organization_id: p for p in case.parties
            if getattr(p, "organization_id", None) is not None}


def counsel_orgs(case: Case) -> dict[int, Organization]:
    """The law firms acting as counsel on the case, by id."""
    return {p.counsel_id: p.counsel for p in case.parties
            if getattr(p, "counsel_id", None) is not None}


def group_of(org_id: int) -> set[int]:
    """The organisation's group: its topmost parent and everything under it (itself too)."""
    parents, children = _family()
    root, seen = org_id, {org_id}
    for _ in range(MAX_GROUP_DEPTH):
        parent = parents.get(root)
        if parent is None or parent in seen:
            break
        root = parent
        seen.add(parent)
    group, frontier = {root}, {root}
    for _ in range(MAX_GROUP_DEPTH):
        frontier = set().union(*(children.get(org, ()) for org in frontier)) - group
        if not frontier:
            break
        group |= frontier
    return group | {org_id}


_FAMILY = "organization_family"


def _family() -> tuple[dict[int, int], dict[int, set[int]]]:
    """Every organisation's parent and children, read once per transaction: a few rows (only
    members of a group have a parent), where walking a group row by row cost two queries per
    level, per party, per seat (a page of seats ran ~170 of them)."""
    info = db.session.info
    if _FAMILY not in info:
        parents = dict(db.session.execute(
            select(Organization.id, Organization.parent_id)
            .where(Organization.parent_id.is_not(None))).all())
        children = defaultdict(set)
        for child, parent in parents.items():
            children[parent].add(child)
        info[_FAMILY] = parents, dict(children)
    return info[_FAMILY]


@event.listens_for(Organization.parent_id, "set")
def _forget_family_on_change(target, _value, _old, _initiator) -> None:
    """A parent set in this transaction, flushed or not, is seen by the next group_of."""
    session = object_session(target)
    if session is not None:
        session.info.pop(_FAMILY, None)


@event.listens_for(Session, "after_flush")
def _forget_family_on_flush(session, _context) -> None:
    if _FAMILY in session.info and any(
            isinstance(row, Organization) for row in (*session.new, *session.deleted)):
        session.info.pop(_FAMILY, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_family_after(session, _transaction) -> None:
    # Every transaction's end, savepoints too: a rolled-back savepoint may have set parents.
    session.info.pop(_FAMILY, None)


def affiliates_of(org_id: int) -> set[int]:
    """The organisations of the same group, not itself."""
    return group_of(org_id) - {org_id}


def _past_arbitration_cases(request: DispatchRequest, expert: Expert, today: date) -> set[int]:
    """The other cases the expert served on as an arbitrator (confirmed, accepted or completed)
    with the appointment made within the look-back: the assignment's creation is its date."""
    served = memo.remember(SERVED, (expert.id, lookback_start(today)), _served_cases)
    return served - {request.case_id}


SERVED = "arbitrations_served"  # memo kind: {(expert id, since): case ids}


def _served_cases(keys: list[tuple[int, date]]) -> dict[tuple[int, date], set[int]]:
    """Every case each expert served on as an arbitrator since the date: one query for all."""
    found = {key: set() for key in keys}
    for since in {since for _expert, since in keys}:
        experts = [expert for expert, day in keys if day == since]
        rows = db.session.execute(
            select(Assignment.expert_id, DispatchRequest.case_id).join(Assignment.request)
            .where(Assignment.expert_id.in_(experts), Assignment.status.in_(SERVED_STATUSES),
                   DispatchRequest.role == ExpertRole.ARBITRATOR,
                   Assignment.created_at >= datetime.combine(since, time(), LOCAL_TIME)))
        for expert, case in rows:
            found[expert, since].add(case)
    return found


@dataclass(frozen=True)
class ServedCase:
    """What the repeat-appointment rules read of a case served on: its number, and who stood
    in it as a party and as counsel (organisation ids)."""

    number: str
    party: frozenset[int] = frozenset()
    counsel: frozenset[int] = frozenset()


SERVED_CASES = "served_case_facts"  # memo kind: {case id: ServedCase}


def _served_case_facts(case_ids: list[int]) -> dict[int, ServedCase]:
    """Each case's number, parties and counsel in one query for all: counting a party's or a
    firm's past cases in Python costs no query per organisation, per finding and per seat."""
    numbers, parties, counsel = {}, defaultdict(set), defaultdict(set)
    for case_id, number, party, firm in db.session.execute(
            select(Case.id, Case.number, Party.organization_id, Party.counsel_id)
            .outerjoin(Party, Party.case_id == Case.id).where(Case.id.in_(case_ids))):
        numbers[case_id] = number
        parties[case_id].add(party)
        counsel[case_id].add(firm)
    return {case_id: ServedCase(numbers.get(case_id, ""), frozenset(parties[case_id] - {None}),
                                frozenset(counsel[case_id] - {None}))
            for case_id in case_ids}


def _current(affiliation: Affiliation, today: date) -> bool:
    return (affiliation.end is None or affiliation.end >= today) and \
        (affiliation.start is None or affiliation.start <= today)


# -- the detectors ----------------------------------------------------------------------------

def same_firm_as_counsel(request: DispatchRequest, expert: Expert,
                         today: date | None = None) -> list[Finding]:
    """IBA WR 2.3.3: the arbitrator is now with the law firm acting as a party's counsel."""
    key = "same_firm_as_counsel"
    if not applies(key, request):
        return []
    today = today or date.today()
    firms = counsel_orgs(request.case)
    parties = party_orgs(request.case)
    found = []
    for affiliation in expert.affiliations:
        org = affiliation.organization_id
        if org in firms and org not in parties and _current(affiliation, today):
            found.append(Finding(key, N_("{expert} is with {firm}, counsel to a party"),
                                 {"expert": expert.name, "firm": firms[org].name}, (org,)))
    return found


def _repeat(key: str, request: DispatchRequest, expert: Expert, today: date | None,
            stood: str, groups: Callable[[int], set[int]], names: dict) -> list[Finding]:
    """Cases served on within the look-back where each of `names` (party or counsel ids)
    stood as `stood` (a ServedCase field); a finding for each that reaches the rule's count."""
    if not applies(key, request) or not names:
        return []
    past = _past_arbitration_cases(request, expert, today or date.today())
    if len(past) < MIN_APPOINTMENTS[key]:
        return []
    served = memo.remember_many(SERVED_CASES, sorted(past), _served_case_facts).values()
    found = []
    for org_id, name in names.items():
        group = groups(org_id)
        numbers = sorted(case.number for case in served if getattr(case, stood) & group)
        if len(numbers) >= MIN_APPOINTMENTS[key]:
            found.append(Finding(key, N_("appointed on {count} other cases with {name} within "
                                         "{years} years: {cases}"),
                                 {"count": len(numbers), "name": name,
                                  "years": rules.LOOKBACK_YEARS, "cases": ", ".join(numbers)},
                                 (org_id,)))
    return found


def repeat_party_appointments(request: DispatchRequest, expert: Expert,
                              today: date | None = None) -> list[Finding]:
    """IBA Orange 3.1.3: appointed twice or more within 3 years by a party (or an affiliate).

    The registry does not record which party appointed an arbitrator: an appointment "by"
    a party is a seat served on an arbitration case where that party (or its group) was a
    party. This discloses more than the IBA text asks, never less.
    """
    names = {org: party.organization.name
             for org, party in party_orgs(request.case).items()}
    return _repeat("repeat_party_appointments", request, expert, today, "party", group_of,
                   names)


def repeat_counsel_appointments(request: DispatchRequest, expert: Expert,
                                today: date | None = None) -> list[Finding]:
    """IBA Orange 3.3.8 (2014): more than three appointments within 3 years on cases where
    the same law firm acted as counsel."""
    names = {org: firm.name for org, firm in counsel_orgs(request.case).items()}
    return _repeat("repeat_counsel_appointments", request, expert, today, "counsel",
                   lambda org: {org}, names)


def former_association_affiliate(request: DispatchRequest, expert: Expert,
                                 today: date | None = None) -> list[Finding]:
    """IBA Orange 3.4.2: within 3 years the expert worked for an affiliate of a party (an
    organisation of the party's group, Organization.parent_id). A tie to the party itself is
    the former_affiliation bar, not this."""
    key = "former_association_affiliate"
    parties = party_orgs(request.case)
    if not applies(key, request) or not parties or not expert.affiliations:
        return []
    since = lookback_start(today or date.today())
    recent = [a for a in expert.affiliations
              if (a.end is None or a.end >= since) and a.organization_id not in parties]
    found = []
    for org_id, party in parties.items():
        affiliates = affiliates_of(org_id) if recent else set()
        for affiliation in recent:
            if affiliation.organization_id in affiliates:
                found.append(Finding(
                    key, N_("{expert} worked for {affiliate} (until {until}), of the same "
                            "group as the party {party}"),
                    {"expert": expert.name, "affiliate": affiliation.organization.name,
                     "until": affiliation.end.isoformat() if affiliation.end else "—",
                     "party": party.organization.name}, (org_id,)))
    return found


Detector = Callable[[DispatchRequest, Expert], list]
# Every situation the registry discloses. Another detector joins with one line here: any
# function (request, expert) -> [Finding] whose findings name a rule of the table.
DETECTORS: tuple[Detector, ...] = (
    same_firm_as_counsel,
    repeat_party_appointments,
    repeat_counsel_appointments,
    former_association_affiliate,
    persons.personal_relationship_findings,
)


def _as_finding(item) -> Finding:
    """A detector's finding: a Finding, or anything with rule and template/params or detail
    (a dict too)."""
    if isinstance(item, Finding):
        return item
    get = item.get if isinstance(item, dict) else (lambda name: getattr(item, name, None))
    template = get("template") or get("detail") or ""
    return Finding(get("rule"), template, dict(get("params") or {}),
                   tuple(get("orgs") or ()))


def findings(request: DispatchRequest, expert: Expert) -> list[Finding]:
    """Everything disclosed for the pair, by every detector, under rules that concern the
    request's role; non-waivable findings first, then waivable, then orange."""
    order = {rules.BAR: 0, rules.WAIVABLE: 1, rules.DISCLOSE: 2, rules.DUTY: 3}
    found = [_as_finding(item) for detector in DETECTORS for item in detector(request, expert)]
    found = [f for f in found if f.rule in rules.RULES and applies(f.rule, request)]
    return sorted(found, key=lambda f: order[rules.rule(f.rule).severity])


WAIVERS = "waivers_of_cases"  # memo kind: {case id: [Waiver], as recorded}


def _waivers_of(case_ids: list[int]) -> dict[int, list[Waiver]]:
    found = {case_id: [] for case_id in case_ids}
    for waiver in db.session.scalars(select(Waiver).where(Waiver.case_id.in_(case_ids))
                                     .order_by(Waiver.recorded_at, Waiver.id)):
        found[waiver.case_id].append(waiver)
    return found


def _recorded(request: DispatchRequest, expert: Expert) -> list[Waiver]:
    """The answers recorded for the expert on the request: the request's own and its case's."""
    return [w for w in memo.remember(WAIVERS, request.case_id, _waivers_of)
            if w.request_id in (None, request.id) and w.expert_id == expert.id]


def disclosures(request: DispatchRequest, expert: Expert) -> list[Disclosure]:
    """The pair's findings, each with the recorded answers that clear it."""
    found = findings(request, expert)
    if not found:
        return []
    recorded = _recorded(request, expert)
    return [Disclosure(f, tuple(w for w in recorded
                                if w.covers(request.case_id, request.id, expert.id, f.rule)))
            for f in found]


def check_cleared(request: DispatchRequest, expert: Expert) -> None:
    """Refuse (409) a confirmation that would seat the expert while a disclosed situation
    has no recorded answer: a bar never clears, a waivable one needs the parties' express
    written waiver, an orange one their no-objection (or a waiver)."""
    for disclosure in disclosures(request, expert):
        if disclosure.cleared:
            continue
        params = {"expert": expert.name, "rule": disclosure.finding.rule}
        if disclosure.severity == rules.WAIVABLE:
            raise DisclosureNotCleared(
                "cannot confirm {expert}: rule “{rule}” bars it unless the parties' express "
                "written waiver is recorded", field="expert_id", **params)
        if disclosure.severity == rules.DISCLOSE:
            raise DisclosureNotCleared(
                "cannot confirm {expert}: disclosed under rule “{rule}”; record the parties' "
                "no-objection or waiver first", field="expert_id", **params)
        raise DisclosureNotCleared("cannot confirm {expert}: rule “{rule}” bars it",
                                   field="expert_id", **params)


# -- recording the parties' answers -----------------------------------------------------------

def pair_for(user: User, request_id: int, expert_id: int) -> tuple[DispatchRequest, Expert]:
    """A request the user may see and an expert it may see there: one standing on the
    request, or for dispatchers one they may name on it (access.expert_for_request); else 404
    as for a missing row."""
    request = access.request_for(user, request_id)
    standing = {a.expert_id for a in request.assignments if a.status in STANDING_STATUSES}
    if expert_id in standing:
        return request, access.get_row(Expert, expert_id, "expert")
    if not may.sees_every_proposal(user):
        raise access.NotFound("{what} {key} not found", what="expert", key=expert_id)
    return request, access.expert_for_request(user, request, expert_id)


def record_waiver(request: DispatchRequest, expert: Expert, data: dict, actor: User) -> Waiver:
    """Record the parties' no-objection or written waiver for a situation disclosed for the
    pair (data as WaiverSchema loads it); audited. Only what is disclosed can be answered."""
    hold(requests=[request], experts=[expert])
    may.allow(may.can_record_waiver(actor, request),
              "only the filing body's clerks and the region's coordinators")
    if data["rule"] not in {f.rule for f in findings(request, expert)}:
        raise DomainError("nothing is disclosed under rule “{rule}” for {expert} on this "
                          "request", field="rule", rule=data["rule"], expert=expert.name)
    waiver = Waiver(case_id=request.case_id,
                    request_id=None if data.get("scope") == "case" else request.id,
                    expert_id=expert.id, rule=data["rule"], kind=WaiverKind(data["kind"]),
                    party=data["party"], given_on=data["given_on"],
                    document=data.get("document") or "", recorded_by_id=actor.id)
    waiver.check()
    db.session.add(waiver)
    db.session.flush()
    audit.record(actor, "waiver.record", "waiver", waiver.id, after={
        "case": waiver.case_id, "request": waiver.request_id, "expert": expert.id,
        "rule": waiver.rule, "kind": waiver.kind.value, "party": waiver.party,
        "given_on": waiver.given_on.isoformat(), "document": waiver.document})
    return waiver


# -- the problem export: written waivers the scheduler honours --------------------------------

def written_waivers(requests: list[DispatchRequest],
                    today: date | None = None) -> dict[int, list[dict]]:
    """{request id: [{"expert": id, "orgs": [org ids]}]}: per request, the counsel firms the
    expert is now with and may serve against because the parties' written waiver of
    same_firm_as_counsel is recorded (docs/dispatch-format.md, `waivers`). A firm that is
    also a party, or that the expert declared a conflict with, is never waived."""
    key = "same_firm_as_counsel"
    wanted = [r for r in requests if applies(key, r)]
    if not wanted:
        return {}
    rows = list(db.session.scalars(select(Waiver).where(
        Waiver.case_id.in_({r.case_id for r in wanted}), Waiver.rule == key,
        Waiver.kind.in_(CLEARS[rules.rule(key).severity]))))
    if not rows:
        return {}
    today = today or date.today()
    experts = {w.expert_id for w in rows}
    current, declared = defaultdict(set), defaultdict(set)
    for expert_id, org, start, end in db.session.execute(
            select(Affiliation.expert_id, Affiliation.organization_id, Affiliation.start,
                   Affiliation.end).where(Affiliation.expert_id.in_(experts))):
        if (end is None or end >= today) and (start is None or start <= today):
            current[expert_id].add(org)
    for expert_id, org in db.session.execute(
            select(DeclaredConflict.expert_id, DeclaredConflict.organization_id)
            .where(DeclaredConflict.expert_id.in_(experts))):
        declared[expert_id].add(org)
    waived: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for request in wanted:
        firms = set(counsel_orgs(request.case)) - set(party_orgs(request.case))
        for waiver in rows:
            if waiver.case_id == request.case_id and waiver.request_id in (None, request.id):
                orgs = (current[waiver.expert_id] & firms) - declared[waiver.expert_id]
                waived[request.id][waiver.expert_id] |= orgs
    return {request_id: [{"expert": str(expert_id), "orgs": sorted(str(o) for o in orgs)}
                         for expert_id, orgs in sorted(by_expert.items()) if orgs]
            for request_id, by_expert in waived.items()
            if any(by_expert.values())}


# -- what the pages and the API show ------------------------------------------------------------

def for_assignment(assignment: Assignment) -> list[Disclosure]:
    """An active arbitrator's seat's disclosures (none for other seats)."""
    if assignment.status not in ACTIVE_ASSIGNMENT_STATUSES:
        return []
    return disclosures(assignment.request, assignment.expert)


def for_assignments(assignments) -> dict[int, list[Disclosure]]:
    """{assignment id: disclosures} for those of these seats that have any."""
    found = {}
    active = [a for a in assignments if a.is_active]
    # Only arbitrators' rules and declared relations disclose anything, on active seats: an
    # arbitrator's seat is judged anyway, the others only if their expert declared one.
    others = {a.expert_id for a in active if a.request.role is not ExpertRole.ARBITRATOR}
    related = persons.experts_with_relations(others)
    judged = [a for a in active if a.request.role is ExpertRole.ARBITRATOR
              or a.expert_id in related]
    _read_ahead([a.expert for a in judged], {a.request.case_id for a in judged})
    for assignment in judged:
        if items := for_assignment(assignment):
            found[assignment.id] = items
    return found


def _read_ahead(experts: list[Expert], case_ids=()) -> None:
    """What the detectors will ask of each of these experts (on these cases), in one query
    per kind rather than one per seat: affiliations, past arbitrations and the cases served
    on, declared relations, the recorded waivers (memo.py). For one seat the detectors' own
    queries, which stop early, are fewer."""
    if len(experts) < 2:
        return
    # Set on the experts as loaded, not by selecting them again with selectinload: that would
    # also reload their roles, fields and languages (three more queries).
    unread = {e.id: e for e in experts if "affiliations" in inspect(e).unloaded}
    if unread:
        affiliations = {expert_id: [] for expert_id in unread}
        for affiliation in db.session.scalars(
                select(Affiliation).where(Affiliation.expert_id.in_(unread))
                .order_by(Affiliation.id)):
            affiliations[affiliation.expert_id].append(affiliation)
        for expert_id, found in affiliations.items():
            set_committed_value(unread[expert_id], "affiliations", found)
    since = lookback_start(date.today())
    served = memo.remember_many(SERVED, [(e.id, since) for e in experts], _served_cases)
    if past := set().union(*served.values()):
        memo.remember_many(SERVED_CASES, sorted(past), _served_case_facts)
    persons.read_relations_ahead(experts)
    if case_ids:
        memo.remember_many(WAIVERS, sorted(case_ids), _waivers_of)


def for_candidates(request: DispatchRequest, experts) -> dict[int, list[Disclosure]]:
    """{expert id: disclosures} for the candidates of a request that have any."""
    experts = list(experts)
    if request.role is not ExpertRole.ARBITRATOR:  # only declared relations can disclose
        related = persons.experts_with_relations({e.id for e in experts})
        experts = [e for e in experts if e.id in related]
    _read_ahead(experts, {request.case_id})
    found = {}
    for expert in experts:
        if items := disclosures(request, expert):
            found[expert.id] = items
    return found


def for_case(case: Case) -> list[tuple[Assignment, list[Disclosure]]]:
    """The case's active arbitrator seats that have disclosures, each with them."""
    seats = db.session.scalars(
        select(Assignment).join(Assignment.request)
        .where(DispatchRequest.case_id == case.id,
               Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES))
        .order_by(Assignment.request_id, Assignment.id))
    seats = list(seats)
    found = for_assignments(seats)
    return [(a, found[a.id]) for a in seats if a.id in found]


def rule_json(rule_key: str) -> dict:
    rule = rules.rule(rule_key)
    return {"rule": rule.key, "severity": rule.severity, "title": rule.title_en,
            "title_zh": rule.title_zh, "source": rule.source}


def waiver_json(waiver: Waiver) -> dict:
    return {"id": waiver.id, "rule": waiver.rule, "kind": waiver.kind.value,
            "party": waiver.party, "given_on": waiver.given_on.isoformat(),
            "document": waiver.document, "scope": "case" if waiver.request_id is None
            else "request", "recorded_by_id": waiver.recorded_by_id,
            "recorded_at": waiver.recorded_at.isoformat() if waiver.recorded_at else None}


def disclosure_json(disclosure: Disclosure) -> dict:
    return {**rule_json(disclosure.finding.rule), "detail": disclosure.finding.detail,
            "cleared": disclosure.cleared,
            "waived_by": [waiver_json(w) for w in disclosure.waivers]}


def assignment_disclosures(assignment: Assignment) -> list[dict]:
    """The `disclosures` of an assignment as the API shows them."""
    return assignments_disclosures([assignment])[assignment.id]


def assignments_disclosures(assignments) -> dict[int, list[dict]]:
    """{assignment id: its `disclosures` as the API shows them}, for a page of seats at once:
    one look-up of the experts' declared relations for all of them, not one per seat."""
    assignments = list(assignments)
    found = for_assignments(assignments)
    return {a.id: [disclosure_json(d) for d in found.get(a.id, [])] for a in assignments}


def answerable_rules() -> list[rules.Rule]:
    """The rules the parties can answer, as the table orders them."""
    return [rule for rule in rules.RULE_LIST if rule.severity in CLEARS]
