"""Held assignments that a later change breaks (issue 9, item 2; docs/flags.md).

When a conflict, an unavailability, a suspension (status or credit record), an affiliation, a
challenge, a recusal or an exclusion is recorded, the service that records it calls
`after_change` in the same transaction. Every seat (proposed, confirmed or accepted) of the
touched experts and cases is judged again by the scheduler's own `verify`, through
`dispatch.held_seat_breaches`, against today's registry; a hard rule it now breaks flags the
seat at once (an `AssignmentFlag` naming the rule by its key in scheduler/rules.py), audited,
and the case's clerks and the region's coordinators get a mail after the commit. A flag stays
open until a later re-check finds the breach gone or the seat ends. Nothing is cancelled here:
the coordinator re-plans.
"""

from collections.abc import Iterable
from datetime import date
from functools import cached_property

from flask_login import current_user
from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from registry.extensions import db
from registry.i18n import N_
from registry.models import (
    ACTIVE_ASSIGNMENT_STATUSES,
    Assignment,
    AssignmentFlag,
    Case,
    DispatchRequest,
    Expert,
    Party,
    User,
)
from registry.models.experts import DISQUALIFYING_CREDIT, INTEREST_ROLES
from registry.services import audit, dispatch, flag_mail, persons, problem_export
from registry.services import permissions as may
from registry.services.exclusions import (
    CASE_WIDE_REASONS,
    case_bar,
    recorded,
    served_at_other_stages,
)
from registry.services.locks import hold
from scheduler import rules

# What a page shows of a flagged seat, loaded with it.
FLAGGED_SEAT = (joinedload(Assignment.expert),
                joinedload(Assignment.request).options(
                    joinedload(DispatchRequest.case).joinedload(Case.handling_body),
                    selectinload(DispatchRequest.days)))


# What an expert declares in rows of their own, which a service adds or deletes beside the
# expert (a deleted row stays in a collection loaded before). Its columns, roles, fields and
# languages change on the expert itself, so they are current.
DECLARATIONS = ("affiliations", "conflicts", "unavailability", "credit_records")


def after_change(expert_ids: Iterable = (), case_ids: Iterable = (), *,
                 actor: User | None = None) -> list[AssignmentFlag]:
    """Re-check the held assignments of these experts and cases; flag what now breaks a bar.

    Every service that records a conflict, an unavailability, a suspension, a credit record,
    an affiliation, a challenge or a recusal calls this in the same transaction, after its own
    write. Flags whose breach is gone, or whose seat ended, are cleared. Returns the flags
    raised now (a breach flagged before is not raised twice).

    The caller holds the experts (locks.hold) before its first write, as a hand pick does:
    on PostgreSQL a transaction that flushed an audit event (in a savepoint; others wait for
    the commit) holds the audit chain's lock, and taking the expert's row only here, after
    it, could deadlock with a hand pick that holds the expert and waits for the chain.
    """
    experts, cases = _ids(expert_ids), _ids(case_ids)
    if not experts and not cases:
        return []
    actor = actor if actor is not None else _signed_in()
    db.session.flush()
    for expert in [db.session.get(Expert, e) for e in experts]:
        if expert is not None:  # its declarations as they are now, not as first loaded
            db.session.expire(expert, DECLARATIONS)
    # Held as a hand pick or a confirmation holds them: a seat taken meanwhile is either seen
    # here or was checked against this change (docs/concurrency.md).
    hold(experts=experts)
    touched = _touched_seats(experts, cases)
    today = date.today()
    raised = []
    requests = sorted({a.request for a in touched if a.is_active}, key=lambda r: r.id)
    # Every verdict first, then the flags: the requests' problems share their reads of the
    # same experts (memo.py) only while nothing is written, and only when they read from the
    # same day: today at the latest, where a request without days reads from.
    since = min([today, *(d.start for r in requests for d in r.days)])
    problem_export.read_ahead(requests)
    verdicts = [(r, dispatch.held_seat_breaches(r, today, since=since)) for r in requests]
    ended = [a for a in touched if not a.is_active]
    open_flags = _open_flags([a for r in requests for a in r.assignments if a.is_active] + ended)
    # Each seat's rules and facts are read before any flag is written, for the same reason.
    findings = [found for request, breaches in verdicts
                for found in _findings(request, breaches, today)]
    for assignment, now, judged in findings:
        raised += _bring_in_line(assignment, now, open_flags[assignment.id], actor, judged)
    for assignment in ended:
        _clear(assignment, open_flags[assignment.id], "seat_ended", actor)
    flag_mail.flags_raised(raised)
    return raised


def _ids(values: Iterable) -> set[int]:
    return {int(getattr(value, "id", value)) for value in values if value is not None}


def _signed_in() -> User | None:
    try:
        return current_user._get_current_object() if current_user.is_authenticated else None
    except (AttributeError, RuntimeError):  # outside a request (the CLI, a worker)
        return None


# Loaded with an expert by default, read by no verdict or fact here: the problem reads the
# experts' roles, fields and languages as rows of its own (problem_export), and the open
# flags are read once the experts are held (_open_flags). Three and two queries saved on
# each change that touches held seats.
UNJUDGED_EXPERT_ROWS = (lazyload(Expert.roles), lazyload(Expert.fields),
                        lazyload(Expert.languages))


def _touched_seats_statement() -> Select:
    """The seats of the experts `experts` and the cases `cases` (expanding parameters, either
    may be empty) that are held or still carry an open flag, with what judging them reads.
    Built once, at import: building it and its loader options' cache key anew was a third of
    an expert's typical change, which holds no seat and reads no row here (docs/load.md)."""
    of_cases = select(DispatchRequest.id).where(
        DispatchRequest.case_id.in_(bindparam("cases", expanding=True)))
    flagged = Assignment.id.in_(select(AssignmentFlag.assignment_id)
                                .where(AssignmentFlag.cleared_at.is_(None)))
    return (select(Assignment)
            .where(or_(Assignment.expert_id.in_(bindparam("experts", expanding=True)),
                       Assignment.request_id.in_(of_cases)))
            .where(or_(Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES), flagged))
            .options(selectinload(Assignment.request).options(
                *problem_export.request_options(), selectinload(DispatchRequest.days),
                # a conflict's flag names the parties and counsel (_parties)
                selectinload(DispatchRequest.case).selectinload(Case.parties)
                .options(joinedload(Party.organization), joinedload(Party.counsel)),
                selectinload(DispatchRequest.assignments).lazyload(Assignment.open_flags)),
                     joinedload(Assignment.expert).options(
                         selectinload(Expert.credit_records), *UNJUDGED_EXPERT_ROWS),
                     lazyload(Assignment.open_flags))
            .order_by(Assignment.id))


TOUCHED_SEATS = _touched_seats_statement()


def _touched_seats(experts: set[int], cases: set[int]) -> list[Assignment]:
    return list(db.session.scalars(TOUCHED_SEATS, {"experts": sorted(experts),
                                                   "cases": sorted(cases)}))


def _open_flags(seats: list[Assignment]) -> dict[int, list[AssignmentFlag]]:
    """{seat id: its open flags}, read in one query after the experts are held (the seats'
    loaded `open_flags` may predate the lock)."""
    found = {seat.id: [] for seat in seats}
    if not found:
        return found
    for flag in db.session.scalars(select(AssignmentFlag).where(
            AssignmentFlag.assignment_id.in_(found), AssignmentFlag.cleared_at.is_(None))
            .order_by(AssignmentFlag.id)):
        found[flag.assignment_id].append(flag)
    return found


def _findings(request: DispatchRequest, verdict: list[tuple[int, str, str]],
              today: date) -> list[tuple[Assignment, dict[str, tuple[str, dict]], bool]]:
    """For each held seat of the request, what it breaks now: {rule of the table: (verify's
    message, the facts)}, from what verify says (`verdict`: dispatch.held_seat_breaches), and
    whether the seat was judged on every rule: an expert barred everywhere (suspended, a
    serious record) is in no problem, so only that bar is known of it."""
    breaches: dict[int, dict[str, str]] = {}
    for expert_id, rule, message in verdict:
        found = breaches.setdefault(expert_id, {})
        found[rule] = f"{found[rule]}; {message}" if rule in found else message
    out = []
    for assignment in [a for a in request.assignments if a.is_active]:
        seat = Seat(assignment, today)  # its parties and relatives, read once for every rule
        now = {legal_rule(seat, rule): message
               for rule, message in breaches.get(assignment.expert_id, {}).items()}
        out.append((assignment, {rule: (message, facts_of(seat, rule))
                                 for rule, message in now.items()},
                    not problem_export.barred(assignment.expert, today)))
    return out


def _bring_in_line(assignment: Assignment, now: dict[str, tuple[str, dict]],
                   open_flags: list[AssignmentFlag], actor,
                   judged: bool = True) -> list[AssignmentFlag]:
    """Clear the seat's open flags whose breach is gone, bring the others' detail and facts
    up to date, raise the new ones (returned). A seat not judged on every rule (`judged`
    false) clears nothing: a breach not looked at is not gone."""
    flags = {flag.rule: flag for flag in open_flags}
    if judged:
        _clear(assignment, [f for rule, f in flags.items() if rule not in now], "resolved",
               actor)
    raised = []
    for rule, (message, facts) in now.items():
        if rule in flags:
            flags[rule].detail, flags[rule].facts = message, facts
            continue
        raised.append(_raise(assignment, rule, message, facts, actor))
    return raised


def _raise(assignment: Assignment, rule: str, detail: str, facts: dict,
           actor) -> AssignmentFlag:
    flag = AssignmentFlag(assignment=assignment, rule=rule, detail=detail, facts=facts)
    db.session.add(flag)
    audit.record(actor, "flag", "assignment", assignment.id,
                 after={"rule": rule, "detail": detail, "status": assignment.status.value})
    db.session.flush()
    db.session.expire(assignment, ["open_flags"])
    return flag


def _clear(assignment: Assignment, flags: list[AssignmentFlag], because: str, actor) -> None:
    for flag in flags:
        flag.clear(because)
        audit.record(actor, "clear_flag", "assignment", assignment.id,
                     before={"rule": flag.rule, "detail": flag.detail},
                     after={"because": because})
    if flags:
        db.session.flush()
        db.session.expire(assignment, ["open_flags"])


# -- the facts a page puts in words ---------------------------------------------------------------

class Seat:
    """A held seat as the flag's rule and facts read it: the case's parties and the expert's
    near relatives among them are looked up once, whichever rules the seat breaks."""

    def __init__(self, assignment: Assignment, today: date):
        self.assignment, self.today = assignment, today
        self.request, self.expert = assignment.request, assignment.expert

    @cached_property
    def parties(self) -> list[tuple[int, str, str]]:
        """(organization id, name, role in the case) of each party and counsel."""
        return _parties(self.request.case)

    @cached_property
    def relatives(self) -> list[dict]:
        """The near-relative findings (persons.near_relative_findings) of the pair."""
        return persons.near_relative_findings(self.request, self.expert)

    @cached_property
    def served_earlier(self) -> bool:
        """Whether the expert served at another stage of the dispute."""
        case = self.request.case
        return self.expert.id in served_at_other_stages({case})[case.id]


def legal_rule(seat: Seat, rule: str) -> str:
    """The rule of the table a breach stands for. Verify says rule 6 (conflict of interest)
    for everything the problem document carries as a conflict or an exclusion; the registry
    knows which situation it is: a recusal, a challenge, an earlier role or stage, a near
    relative, a declared conflict, a tie to a party, a decline."""
    if rule != "conflict_of_interest":
        return rule
    request, expert, today = seat.request, seat.expert, seat.today
    if bar := case_bar(request.case, expert.id):
        return bar
    if seat.served_earlier:
        return "one_procedure"
    if seat.relatives:
        return "near_relative"
    parties = {org for org, _name, _role in seat.parties}
    if parties & {c.organization_id for c in expert.conflicts}:
        return "declared_conflict"
    tied = [a for a in expert.affiliations if a.organization_id in parties]
    current = [a for a in tied if a.end is None or a.end >= today]
    if any(a.role.strip().lower() in INTEREST_ROLES for a in current):
        return "interest_in_case"
    if current:
        return "party_or_representative"
    if tied:
        return "former_affiliation"
    if any(e.expert_id == expert.id for e in request.exclusions):
        return "declined"
    return rule


def _conflict_like(rule: str) -> bool:
    known = rules.RULES.get(rule)
    return rule == "conflict_of_interest" or (
        known is not None and known.carried_by == "conflict_of_interest")


def facts_of(seat: Seat, rule: str) -> dict:
    """What the breach is about, read from the registry when the flag is raised: the parties
    a conflict concerns (with their role in the case), the near relatives among them, the days
    of an absence, the status or record that suspends the expert."""
    if _conflict_like(rule):
        return _conflict_facts(seat)
    if rule == "availability":
        return _absence_facts(seat.assignment)
    if rule == "appointment":
        expert = seat.expert
        return {"status": expert.status.value, "credit": sorted(
            {r.kind.value for r in expert.disqualifying_records(seat.today)})}
    return {}


def _parties(case: Case) -> list[tuple[int, str, str]]:
    """(organization id, name, role in the case) of each party and counsel."""
    out = []
    for party in case.parties:
        if party.organization_id is not None and party.organization is not None:
            out.append((party.organization_id, party.organization.name, party.role.value))
        if party.counsel_id is not None and party.counsel is not None:
            out.append((party.counsel_id, party.counsel.name, "counsel"))
    return out


def _conflict_facts(seat: Seat) -> dict:
    expert, request = seat.expert, seat.request
    declared = {c.organization_id for c in expert.conflicts}
    cooling_off = problem_export.SETTINGS["cooling_off_days"]
    cutoff = date.fromordinal(seat.today.toordinal() - cooling_off)
    worked = {a.organization_id for a in expert.affiliations if a.end is None or a.end >= cutoff}
    parties = seat.parties
    excluded = sorted({reason.value for request_id, expert_id, reason
                       in recorded([request.case_id])[request.case_id]
                       if expert_id == expert.id
                       and (reason in CASE_WIDE_REASONS or request_id == request.id)})
    earlier = seat.served_earlier
    relatives = [{"name": f["params"]["name"], "kind": f["params"]["kind"],
                  "party": f["params"]["party"]}
                 for f in seat.relatives]
    return {"relatives": relatives,
            "declared": [{"name": name, "role": role} for org, name, role in parties
                         if org in declared],
            "affiliated": [{"name": name, "role": role} for org, name, role in parties
                           if org in worked and org not in declared],
            "excluded": excluded + (["earlier_stage"] if earlier and
                                    "earlier_stage" not in excluded else [])}


def _absence_facts(assignment: Assignment) -> dict:
    expert, days = assignment.expert, assignment.request.days
    spans = [(u.start, u.end) for u in expert.unavailability]
    spans += [(r.start, r.end or date.max) for r in expert.credit_records
              if r.kind in DISQUALIFYING_CREDIT]
    overlap = sorted({(max(d.start, s), min(d.end, e)) for d in days for s, e in spans
                      if d.start <= e and s <= d.end})
    return {"days": [[s.isoformat(), e.isoformat()] for s, e in overlap]}


# -- reading: the rule in words, and the flagged seats a user may see -----------------------------

def rule_title(key: str, english: bool = False) -> str:
    """The rule's title from the shared rule table (the key itself for an unknown one)."""
    rule = rules.RULES.get(key)
    if rule is None:
        return key
    return rule.title_en if english else rule.title_zh


# Bars that rule 6 carries but that are no conflict at all: a flag says them in their own
# words, not rule 6's (verify names only rule 6 for them: dispatch.RULE_EXPLANATIONS).
CASE_BAR_EXPLANATIONS = {
    "challenge_pending": N_("a party applied for the expert's withdrawal: until the decision "
                            "the expert is suspended from the case"),
    "challenge_upheld": N_("a party's application for the expert's withdrawal was upheld"),
    "self_recusal": N_("the expert withdrew from the case"),
    "declined": N_("the expert declined this request"),
}


def explanation_of(key: str) -> str:
    """The coordinator-facing sentence for a rule: its own, else that of the numbered rule
    that carries it (a near relative is explained as a conflict of interest)."""
    known = rules.RULES.get(key)
    carrier = known.carried_by if known is not None else None
    return (dispatch.RULE_EXPLANATIONS.get(key) or CASE_BAR_EXPLANATIONS.get(key)
            or dispatch.RULE_EXPLANATIONS.get(carrier, ""))


def flag_json(flag: AssignmentFlag) -> dict:
    """A flag as the API shows it on an assignment."""
    rule = rules.RULES.get(flag.rule)
    return {"rule": flag.rule, "title": rule_title(flag.rule),
            "title_en": rule_title(flag.rule, english=True),
            "severity": rule.severity if rule else None,
            "explanation": explanation_of(flag.rule),
            "detail": flag.detail, "facts": dict(flag.facts or {}),
            "raised_at": flag.raised_at.isoformat()}


def flags_of(assignment: Assignment) -> list[dict]:
    """The open flags of a seat that is still held (an ended seat shows none)."""
    if not assignment.is_active:
        return []
    return [flag_json(flag) for flag in assignment.open_flags]


def flagged_seats_query(user: User, case_id: int | None = None):
    """Held seats with an open flag that the user may see, the latest flagged first."""
    query = may.scope_assignments(select(Assignment), user).where(
        Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES),
        Assignment.id.in_(select(AssignmentFlag.assignment_id)
                          .where(AssignmentFlag.cleared_at.is_(None))))
    if case_id is not None:
        query = query.where(DispatchRequest.case_id == case_id)
    return query.options(*FLAGGED_SEAT).order_by(Assignment.id.desc())


def flagged_seats(user: User, case_id: int | None = None) -> list[Assignment]:
    return list(db.session.scalars(flagged_seats_query(user, case_id)))


def flagged_on_case(case: Case) -> list[Assignment]:
    """The held seats of a case that carry an open flag (the clerk's case page)."""
    return [a for r in sorted(case.requests, key=lambda r: r.id) for a in r.assignments
            if a.is_active and a.open_flags]
