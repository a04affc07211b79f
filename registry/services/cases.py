"""Filing cases and requests, cancelling them, and recording who may not serve."""

from datetime import timedelta

from sqlalchemy import select

from registry.extensions import db
from registry.models import (
    ACTIVE_ASSIGNMENT_STATUSES,
    AssignmentStatus,
    AttendanceDays,
    Case,
    CaseKind,
    CaseStage,
    City,
    DispatchRequest,
    DomainError,
    Exclusion,
    ExclusionReason,
    Expert,
    Organization,
    OrganizationKind,
    Party,
    RequestStatus,
    User,
    UserRole,
    sync_request_status,
)
from registry.models.base import utcnow
from registry.models.case_numbers import parse_court_case_number
from registry.models.cases import COURT_KINDS
from registry.services import case_stages, causes, notifications
from registry.services import permissions as may
from registry.services.audit import record
from registry.services.exclusions import CASE_WIDE_REASONS
from registry.services.locks import hold


def _organization(organization_id: int | None, field: str) -> Organization:
    organization = organization_id and db.session.get(Organization, organization_id)
    if not organization:
        raise DomainError("unknown organization {organization_id}", field=field,
                          organization_id=organization_id)
    return organization


def _handling_body(data: dict, actor: User) -> Organization:
    body_id = data.get("handling_body_id")
    if body_id is None and actor.role is UserRole.CLERK:
        body_id = actor.body_id
    body = _organization(body_id, "handling_body_id")
    if not body.handles_cases:
        raise DomainError("{body} is not a court, IP administration or arbitration "
                          "institution", field="handling_body_id", body=body.name)
    may.allow(may.can_file_for(actor, body), "you cannot file cases for that body")
    return body


def _check_court_code(case: Case, body: Organization) -> None:
    """The court code in a court case number must be the handling court's own."""
    if case.kind not in COURT_KINDS or not body.case_number_code:
        return
    court = parse_court_case_number(case.number).court
    if court != body.case_number_code:
        raise DomainError("the case number's court code {court} is not {body}'s "
                          "({body_code})", field="number",
                          court=court, body=body.name, body_code=body.case_number_code)


# The kinds of case each kind of handling body hears.
KINDS_OF_BODY = {OrganizationKind.COURT: COURT_KINDS,
                 OrganizationKind.ARBITRATION_INSTITUTION: frozenset({CaseKind.ARBITRATION}),
                 OrganizationKind.IP_ADMINISTRATION:
                     frozenset({CaseKind.ADMINISTRATIVE_ADJUDICATION})}


def _check_kind_fits_body(kind: CaseKind, body: Organization) -> None:
    kinds = KINDS_OF_BODY.get(body.kind, frozenset())
    if kind not in kinds:
        raise DomainError("{body} does not hear {kind} cases", field="kind", body=body.name,
                          kind=CaseKind(kind).value)


def _number(case: Case, number: str, body: Organization) -> None:
    """Check the number for the case at its body (shape, founding year, kind and stage,
    court code, not yet registered) and store it."""
    _check_kind_fits_body(case.kind, body)
    case.set_number(number)
    _check_court_code(case, body)
    if db.session.scalar(select(Case.id).where(Case.handling_body_id == body.id,
                                               Case.number == case.number)):
        raise DomainError("case {number} is already registered", field="number",
                          number=case.number)


def check_case_number(number: str, kind: CaseKind, body: Organization,
                      stage: CaseStage | None = None) -> str:
    """The number as it will be stored, if it is valid for this kind (and stage, if given) of
    case at this body and not yet registered; otherwise the DomainError that says what is
    wrong."""
    probe = Case(kind=kind, stage=stage, handling_body=body)
    _number(probe, number, body)
    return probe.number


def create_case(data: dict, actor: User) -> Case:
    """File a case. Its stage, when not given, is the one its number names (民终: appeal)."""
    may.allow(may.files_cases(actor), "experts do not file cases")
    body = _handling_body(data, actor)
    case = Case(handling_body=body, kind=data["kind"], stage=data.get("stage"),
                title=data.get("title", ""), confidential=data.get("confidential", False))
    _number(case, data["number"], body)
    causes.set_cause(case, data.get("cause_code"))
    if data.get("earlier_stage_id") is not None:
        case.earlier_stage = case_stages.linkable_case(body, data["earlier_stage_id"], actor)
    case.set_fields(data["field_codes"])
    case.parties = [
        Party(organization=_organization(p["organization_id"], "parties"), role=p["role"],
              counsel=_organization(p["counsel_id"], "parties") if p.get("counsel_id") else None)
        for p in data.get("parties", [])]
    db.session.add(case)
    db.session.flush()
    record(actor, "create", "case", case.id, after={"number": case.number, "body": body.id})
    return case


def create_request(data: dict, actor: User) -> DispatchRequest:
    may.allow(may.files_cases(actor), "experts do not file requests")
    case = db.session.get(Case, data["case_id"])
    if case is None or not may.can_see_case(actor, case):
        # Another body's case is as unknown as a missing one: its id reveals nothing.
        raise DomainError("unknown case {case_id}", field="case_id", case_id=data["case_id"])
    may.allow(may.can_file_for(actor, case.handling_body), "you cannot file for that body")
    causes.check_case_type(case, data["role"])
    city_code = data.get("city_code") or case.handling_body.city_code
    if city_code is None or db.session.get(City, city_code) is None:
        raise DomainError("unknown city {city_code!r}", field="city", city_code=city_code)
    request = DispatchRequest(
        case=case, role=data["role"], seats=data["seats"], service=data["service"],
        city_code=city_code, remote_allowed=data["remote_allowed"], priority=data["priority"],
        language=data.get("language"), note=data.get("note", ""), created_by_id=actor.id)
    request.check_seats()
    request.set_urgency(data.get("urgent", False), data.get("needed_by"), utcnow())
    request.days = [AttendanceDays(start=span["start"], end=span["end"])
                    for span in sorted(data.get("days", []), key=lambda s: s["start"])]
    _check_days_disjoint(request)
    request.check_attendance()
    db.session.add(request)
    db.session.flush()
    for exclusion in data.get("exclusions", []):
        exclude(request, exclusion, actor)
    urgency = {"urgent": True, "needed_by": request.needed_by.isoformat()} \
        if request.urgent else {}
    record(actor, "create", "dispatch_request", request.id,
           after={"case": case.number, "role": request.role.value, "seats": request.seats,
                  **urgency})
    if request.urgent:  # the region's coordinators hear of it at once (after the commit)
        notifications.urgent_request_filed(request)
    return request


TWIN_WITHIN = timedelta(minutes=10)


def recent_twin(case: Case, data: dict, actor: User) -> DispatchRequest | None:
    """A request the same user filed on the case within TWIN_WITHIN that `data` (as
    RequestSchema loads it) would repeat: the same role, seats, service, city, days and note.
    A form sent again by the browser's Back is one, not a second need."""
    candidates = db.session.scalars(select(DispatchRequest).where(
        DispatchRequest.case_id == case.id, DispatchRequest.created_by_id == actor.id,
        DispatchRequest.created_at >= utcnow() - TWIN_WITHIN,
        DispatchRequest.status != RequestStatus.CANCELLED))
    days = sorted((span["start"], span["end"]) for span in data.get("days", []))
    city = data.get("city_code") or case.handling_body.city_code
    return next((r for r in candidates
                 if (r.role, r.seats, r.service, r.city_code, r.note) ==
                 (data["role"], data["seats"], data["service"], city, data.get("note", ""))
                 and [(d.start, d.end) for d in r.days] == days), None)


def _check_days_disjoint(request: DispatchRequest) -> None:
    for earlier, later in zip(request.days, request.days[1:], strict=False):
        if later.start <= earlier.end:
            raise DomainError("attendance spans overlap ({earlier_start}–{earlier_end} and "
                              "{later_start}–{later_end}); merge them", field="days",
                              earlier_start=earlier.start, earlier_end=earlier.end,
                              later_start=later.start, later_end=later.end)


def exclude(request: DispatchRequest, data: dict, actor: User) -> Exclusion:
    """Record who may not serve. A challenge, recusal, earlier-stage or prior-role bar covers
    the whole case: the expert leaves every request of it at once, whatever stage each
    reached."""
    reason = ExclusionReason(data["reason"])
    if not may.may_record_exclusion(actor, reason):
        raise DomainError("you cannot record an exclusion for the reason {reason}",
                          field="reason", reason=reason.value)
    expert = db.session.get(Expert, data["expert_id"])
    if expert is None or not may.may_exclude_expert(actor, request.case, expert):
        # The same answer whether the expert exists or not: no probing of the registry.
        raise DomainError("expert {expert_id} has not served on this case", field="expert_id",
                          expert_id=data["expert_id"])
    exclusion = next((e for e in request.exclusions if e.expert_id == expert.id), None)
    if exclusion is None:
        exclusion = Exclusion(request=request, expert=expert, reason=reason,
                              note=data.get("note", ""))
        request.exclusions.append(exclusion)
    elif exclusion.reason is ExclusionReason.DECLINED and reason in CASE_WIDE_REASONS:
        # A decline bars one request; an upheld challenge after it must bar the case.
        exclusion.reason, exclusion.note = reason, data.get("note", "")
    else:
        raise DomainError("expert {expert_id} is already excluded ({reason})",
                          field="expert_id", expert_id=expert.id, reason=exclusion.reason.value)
    affected = request.case.requests if reason in CASE_WIDE_REASONS else [request]
    hold(requests=affected, experts=[expert])  # the exclusion is added to a new object: kept
    for each in affected:
        _withdraw_expert(each, expert.id, actor)
    record(actor, "exclude", "dispatch_request", request.id,
           after={"expert": expert.id, "reason": reason.value})
    from registry.services import flags  # a held seat it breaks is flagged (docs/flags.md)

    flags.after_change(expert_ids=[expert.id], case_ids=[request.case_id], actor=actor)
    return exclusion


def _withdraw_expert(request: DispatchRequest, expert_id: int, actor: User) -> None:
    for assignment in request.assignments:
        if assignment.expert_id == expert_id and assignment.status in ACTIVE_ASSIGNMENT_STATUSES:
            assignment.move_to(AssignmentStatus.CANCELLED)
            record(actor, "cancel", "assignment", assignment.id,
                   after={"status": "cancelled", "because": "excluded"})
            sync_request_status(request)


def cancel_request(request: DispatchRequest, actor: User) -> DispatchRequest:
    """Cancel the request and every seat on it, each seat an event of its own. Held first, so
    a confirmation racing the cancel either lands before it (and is cancelled with it) or
    finds the request cancelled: never a cancelled request with a seat."""
    hold(requests=[request])
    before = request.status.value
    request.cancel()
    _end_seats(request, ACTIVE_ASSIGNMENT_STATUSES, AssignmentStatus.CANCELLED, actor,
               because="request_cancelled")
    record(actor, "cancel", "dispatch_request", request.id, before={"status": before},
           after={"status": request.status.value})
    return request


def complete_request(request: DispatchRequest, actor: User) -> DispatchRequest:
    """The work is done: the experts' seats stop counting towards their workload."""
    hold(requests=[request])
    before = request.status.value
    request.move_to(RequestStatus.COMPLETED)
    _end_seats(request, {AssignmentStatus.ACCEPTED}, AssignmentStatus.COMPLETED, actor,
               because="request_completed")
    record(actor, "complete", "dispatch_request", request.id, before={"status": before},
           after={"status": request.status.value})
    return request


# The audit action of an assignment's move that its request's end caused.
END_OF_SEAT = {AssignmentStatus.CANCELLED: "cancel", AssignmentStatus.COMPLETED: "complete"}


def _end_seats(request: DispatchRequest, statuses, target: AssignmentStatus, actor: User,
               because: str) -> None:
    for assignment in request.assignments:
        if assignment.status in statuses:
            before = assignment.status.value
            assignment.move_to(target)
            record(actor, END_OF_SEAT[target], "assignment", assignment.id,
                   before={"status": before}, after={"status": target.value, "because": because})
