"""The recusal lifecycle (docs/recusal.md): an expert's self-recusal, a party's challenge with
its decision and one review, and the parties' notice of the technical investigator.

Rules by key (scheduler/rules.py): `self_recusal`, `challenge_pending`, `challenge_upheld`,
`challenge_decision` (the 3-day decision, one review), `notice_to_parties` (the 3-day notice).
Held seats that a recusal or a pending challenge now breaks are flagged for the coordinator
(services/flags.py), never dropped here; an upheld challenge ends them, as the existing
upheld-challenge exclusion always has (services/cases.exclude).
The caller owns the transaction: nothing here commits.
"""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from registry.extensions import db
from registry.models import (
    Assignment,
    AssignmentStatus,
    Case,
    Challenge,
    ChallengeStatus,
    DispatchRequest,
    DomainError,
    Exclusion,
    ExclusionReason,
    Expert,
    ExpertRole,
    InvalidTransition,
    PartiesNotice,
    Party,
    User,
    UserRole,
    sync_request_status,
)
from registry.models.base import local_today
from registry.models.recusals import AWAITING_DECISION, check_text
from registry.services import access, exclusions, flags
from registry.services import permissions as may
from registry.services.audit import record
from registry.services.locks import hold
from scheduler import rules

MAX_RECUSAL_REASON = 300  # an exclusion's note


# -- loading what the user may see -----------------------------------------------------------

def case_to_recuse(user: User, case_id: int, expert_id: int | None = None) -> tuple[Case, Expert]:
    """The case and the expert recusing from it. An expert names only cases that met it (any
    other answers 404, as a missing one); an admin names the expert."""
    case = access.get_row(Case, case_id, "case")
    if user.role is UserRole.EXPERT:
        expert_id = user.expert_id if expert_id in (None, user.expert_id) else expert_id
        access.visible(case, may.expert_met_case(user.expert_id, case), "case", case_id)
    else:
        access.visible(case, may.can_see_case(user, case), "case", case_id)
    if expert_id is None:
        raise DomainError("name the expert who recuses", field="expert_id")
    # Who may is decided before anything is said of the expert: naming others probes nothing.
    may.allow(may.can_recuse(user, expert_id), "only the expert itself may recuse")
    expert = db.session.get(Expert, expert_id)
    if expert is None or not may.expert_met_case(expert.id, case):
        raise DomainError("expert {expert_id} has not served on this case", field="expert_id",
                          expert_id=expert_id)
    return case, expert


def challenge_for(user: User, case_id: int, challenge_id: int) -> Challenge:
    """A challenge of a case the user sees (404 otherwise, as for a missing one)."""
    case = access.case_for(user, case_id)
    challenge = access.get_row(Challenge, challenge_id, "challenge")
    return access.visible(challenge, challenge.case_id == case.id, "challenge", challenge_id)


def notice_for(user: User, case_id: int, notice_id: int) -> PartiesNotice:
    case = access.case_for(user, case_id)
    notice = access.get_row(PartiesNotice, notice_id, "notice")
    return access.visible(notice, notice.case_id == case.id, "notice", notice_id)


def _may_handle(user: User, case: Case) -> None:
    may.allow(may.can_handle_challenges(user, case),
              "only the clerks of the body handling the case")


# -- self-recusal (自行回避) -----------------------------------------------------------------

def recuse(case: Case, expert: Expert, reason: str, actor: User,
           prefer: DispatchRequest | None = None) -> Exclusion:
    """The expert withdraws from the whole case (rule `self_recusal`): it is barred from every
    request of it; the seats it holds there stay and are flagged for the coordinator."""
    may.allow(may.can_recuse(actor, expert.id), "only the expert itself may recuse")
    reason = check_text(reason, "reason", MAX_RECUSAL_REASON)
    hold(requests=case.requests, experts=[expert])
    if rule := exclusions.case_bar(case, expert.id):
        if rule != "challenge_pending":  # suspended, it may still withdraw of its own accord
            raise InvalidTransition("expert {expert_id} is already barred from case {number} "
                                    "({rule})", field="reason", expert_id=expert.id,
                                    number=case.number, rule=rule)
    exclusion = exclusions.bar_from_case(case, expert.id, ExclusionReason.RECUSAL, reason,
                                         prefer=prefer)
    db.session.flush()
    record(actor, "recuse", "case", case.id, after={
        "expert": expert.id, "rule": "self_recusal", "reason": reason,
        "request": exclusion.request_id})
    flags.after_change(expert_ids={expert.id}, case_ids={case.id}, actor=actor)
    return exclusion


def refuse_if_barred(request: DispatchRequest, expert: Expert) -> None:
    """Refuse a seat on a case the expert recused from, was challenged on with success, or is
    suspended from by a pending challenge, naming the rule (the scheduler's verify refuses it
    too, as a conflict of interest: this says which)."""
    if key := exclusions.case_bar(request.case, expert.id):
        raise DomainError("expert {expert_id} may not serve on case {number}: {rule}",
                          field="expert_id", expert_id=expert.id, number=request.case.number,
                          rule=rules.rule(key).title_en)


def recused_case_ids(expert_id: int) -> set[int]:
    """The cases this expert recused from (for its assignments page)."""
    return set(db.session.scalars(
        select(DispatchRequest.case_id).join(Exclusion.request)
        .where(Exclusion.expert_id == expert_id,
               Exclusion.reason == ExclusionReason.RECUSAL)))


def recusals_of(case: Case) -> list[Exclusion]:
    return list(db.session.scalars(
        select(Exclusion).join(Exclusion.request).options(joinedload(Exclusion.expert))
        .where(DispatchRequest.case_id == case.id,
               Exclusion.reason == ExclusionReason.RECUSAL).order_by(Exclusion.id)))


# -- a party's challenge (申请回避) -----------------------------------------------------------

def record_challenge(case: Case, data: dict, actor: User, today: date | None = None) -> Challenge:
    """Record a party's application as pending: from now the expert is suspended from the
    case (rule `challenge_pending`) and the seats it holds there are flagged."""
    today = today or local_today()
    _may_handle(actor, case)
    expert = db.session.get(Expert, data["expert_id"])
    if expert is None or not may.expert_stands_on_case(expert.id, case):
        # The same answer whether the expert exists, declined or never met the case: no
        # probing of the registry.
        raise DomainError("expert {expert_id} has not served on this case", field="expert_id",
                          expert_id=data["expert_id"])
    party = next((p for p in case.parties if p.id == data["party_id"]), None)
    if party is None:
        raise DomainError("not a party of this case", field="party_id")
    if data["applied_on"] > today:
        raise DomainError("the day is in the future", field="applied_on")
    hold(requests=case.requests, experts=[expert])
    if open_one := _awaiting(case, expert.id):
        raise InvalidTransition("challenge {challenge_id} of this expert awaits a decision",
                                field="expert_id", challenge_id=open_one.id)
    if (rule := exclusions.case_bar(case, expert.id)) in ("challenge_upheld", "self_recusal"):
        raise InvalidTransition("expert {expert_id} is already barred from case {number} "
                                "({rule})", field="expert_id", expert_id=expert.id,
                                number=case.number, rule=rule)
    challenge = Challenge(case=case, expert=expert, party=party, grounds=check_text(
        data["grounds"], "grounds", 1000), applied_on=data["applied_on"],
        recorded_by_id=actor.id)
    db.session.add(challenge)
    db.session.flush()
    record(actor, "challenge.record", "challenge", challenge.id, after={
        "case": case.id, "expert": expert.id, "party": party.id,
        "applied_on": challenge.applied_on.isoformat(), "rule": "challenge_pending",
        "decision_due": challenge.decision_due.isoformat()})
    flags.after_change(expert_ids={expert.id}, case_ids={case.id}, actor=actor)
    return challenge


def _awaiting(case: Case, expert_id: int) -> Challenge | None:
    return db.session.scalar(select(Challenge).where(
        Challenge.case_id == case.id, Challenge.expert_id == expert_id,
        Challenge.status.in_(AWAITING_DECISION)).limit(1))


def decide(challenge: Challenge, data: dict, actor: User, today: date | None = None,
           *, review: bool = False) -> Challenge:
    """Record the decision (or, with `review`, the review's decision): upheld bars the expert
    from the case and ends its seats there (rule `challenge_upheld`); rejected lifts the
    suspension. Of two decisions sent together one wins, the other is a 409."""
    today = today or local_today()
    case = challenge.case
    _may_handle(actor, case)
    _hold(challenge)
    challenge.check_version(data.get("version"))
    before = challenge.status.value
    move = challenge.decide_review if review else challenge.decide
    move(data["outcome"] == "upheld", on=data["decided_on"], by_name=data["decider_name"],
         by_role=data["decider_role"], reason=data["reason"], recorded_by=actor, today=today)
    if challenge.bars:
        exclusions.bar_from_case(case, challenge.expert_id, ExclusionReason.CHALLENGE,
                                 data["reason"])
        _end_seats(case, challenge.expert_id, actor)
    db.session.flush()
    due = challenge.review_due if review else challenge.decision_due
    record(actor, "challenge.review_decide" if review else "challenge.decide", "challenge",
           challenge.id, before={"status": before}, after={
               "status": challenge.status.value, "decided_on": data["decided_on"].isoformat(),
               "decider_name": data["decider_name"], "decider_role": data["decider_role"].value,
               "reason": data["reason"], "late": data["decided_on"] > due,
               "rule": "challenge_upheld" if challenge.bars else "challenge_decision"})
    flags.after_change(expert_ids={challenge.expert_id}, case_ids={case.id},
                      actor=actor)
    return challenge


def request_review(challenge: Challenge, data: dict, actor: User,
                   today: date | None = None) -> Challenge:
    """The applicant's one review (复议) of a rejection; the expert keeps working meanwhile
    (CPL Art. 50). A second review is a 409."""
    today = today or local_today()
    _may_handle(actor, challenge.case)
    _hold(challenge)
    challenge.check_version(data.get("version"))
    challenge.request_review(on=data["requested_on"], grounds=data["grounds"],
                             recorded_by=actor, today=today)
    db.session.flush()
    record(actor, "challenge.review", "challenge", challenge.id,
           before={"status": ChallengeStatus.REJECTED.value},
           after={"status": challenge.status.value,
                  "requested_on": challenge.review_requested_on.isoformat(),
                  "review_due": challenge.review_due.isoformat(), "rule": "challenge_decision"})
    return challenge


def _hold(challenge: Challenge) -> None:
    """Hold the case's requests and the expert: a second decision waits, then finds the
    challenge decided (and the row's version refuses a stale write in any case)."""
    hold(requests=challenge.case.requests, experts=[challenge.expert_id])


def _end_seats(case: Case, expert_id: int, actor: User) -> None:
    """An upheld challenge ends the expert's seats on the case, each an audited cancel."""
    for request in case.requests:
        for assignment in request.assignments:
            if assignment.expert_id == expert_id and assignment.is_active:
                assignment.move_to(AssignmentStatus.CANCELLED)
                record(actor, "cancel", "assignment", assignment.id, after={
                    "status": "cancelled", "because": "excluded", "rule": "challenge_upheld"})
                sync_request_status(request)


def challenges_of(case: Case) -> list[Challenge]:
    return list(db.session.scalars(
        select(Challenge).where(Challenge.case_id == case.id)
        .options(joinedload(Challenge.expert),
                 joinedload(Challenge.party).joinedload(Party.organization))
        .order_by(Challenge.id.desc())))


# -- the parties' notice (SPC 2019 Art. 3) ----------------------------------------------------

def notice_due(assignment: Assignment, today: date | None = None) -> PartiesNotice | None:
    """A technical investigator's seat was just confirmed: the parties are owed a notice
    within NOTICE_DAYS (rule `notice_to_parties`). Called by assignments.confirm; a changed
    investigator is a new confirmation, hence a new notice."""
    if assignment.request.role is not ExpertRole.INVESTIGATOR:
        return None
    db.session.flush()  # the assignment's id
    if db.session.scalar(select(PartiesNotice.id).where(
            PartiesNotice.assignment_id == assignment.id)) is not None:
        return None
    notice = PartiesNotice.due_for(assignment, today or local_today())
    db.session.add(notice)
    return notice


def mark_served(notice: PartiesNotice, data: dict, actor: User,
                today: date | None = None) -> PartiesNotice:
    today = today or local_today()
    _may_handle(actor, notice.case)
    notice.serve(on=data["served_on"], how=data["served_how"], by=actor, today=today)
    db.session.flush()
    record(actor, "notice.serve", "parties_notice", notice.id, after={
        "case": notice.case_id, "expert": notice.expert_id,
        "served_on": notice.served_on.isoformat(), "served_how": notice.served_how,
        "late": notice.served_on > notice.due_on, "rule": "notice_to_parties"})
    return notice


def notices_of(case: Case) -> list[PartiesNotice]:
    return list(db.session.scalars(
        select(PartiesNotice).where(PartiesNotice.case_id == case.id)
        .options(joinedload(PartiesNotice.expert).selectinload(Expert.fields),
                 joinedload(PartiesNotice.assignment))
        .order_by(PartiesNotice.id.desc())))


def notice_document(notice: PartiesNotice) -> dict:
    """What the printed notice says: the case, the court, the investigator (name, appointing
    body, fields; never its contacts), the parties and their right to apply for withdrawal."""
    case = notice.case
    expert = notice.expert
    body = expert.appointing_body
    return {"notice": notice, "case": case, "court": case.handling_body.name,
            "expert_name": expert.name, "appointing_body": body.name if body else "",
            "fields": [f.ipc_code for f in expert.fields],
            "parties": [p.party_name for p in case.parties]}


# -- what the clerk's case page shows --------------------------------------------------------

def case_panel(case: Case, user: User, today: date | None = None) -> dict:
    today = today or local_today()
    challenges = challenges_of(case)
    notices = notices_of(case)
    return {
        "recusal_today": today,
        "recusal_challenges": challenges,
        "recusal_notices": notices,
        "recusals": recusals_of(case),
        "challengeable": may.can_handle_challenges(user, case),
        "challenges_overdue": sum(c.is_overdue(today) for c in challenges),
        "notices_overdue": sum(n.is_overdue(today) for n in notices),
    }


def duties_in_scope(user: User, today: date | None = None) -> dict:
    """Challenges awaiting a decision and notices not served, in the user's cases: what a
    coordinator or a clerk watches (the overdue ones first)."""
    today = today or local_today()
    cases = may.scope_cases(select(Case.id), user)
    challenges = list(db.session.scalars(
        select(Challenge).where(Challenge.case_id.in_(cases),
                                Challenge.status.in_(AWAITING_DECISION))
        .options(joinedload(Challenge.case), joinedload(Challenge.expert))))
    notices = [n for n in db.session.scalars(
        select(PartiesNotice).where(PartiesNotice.case_id.in_(cases),
                                    PartiesNotice.served_on.is_(None))
        .options(joinedload(PartiesNotice.case), joinedload(PartiesNotice.expert),
                 joinedload(PartiesNotice.assignment))) if not n.seat_ended]
    return {"challenges": sorted(challenges, key=lambda c: c.due_on),
            "notices": sorted(notices, key=lambda n: n.due_on), "today": today}
