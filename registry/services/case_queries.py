"""Reading cases and requests in a user's scope: lists, look-ups for pickers, a request's story.

Shared by the API and the pages; every query starts from the scope `permissions` decides, and
loads what its pages show up front, so templates never query.
"""

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from registry.extensions import db
from registry.models import (
    Assignment,
    AuditEvent,
    Case,
    DispatchRequest,
    Expert,
    Organization,
    Party,
    User,
)
from registry.schemas.common import parse_id
from registry.services import permissions as may

MAX_OPTIONS = 30

# What the case and request pages show, loaded with the row.
CASE_PAGE = (joinedload(Case.handling_body), joinedload(Case.earlier_stage),
             selectinload(Case.parties).joinedload(Party.organization),
             selectinload(Case.parties).joinedload(Party.counsel),
             selectinload(Case.requests),
             # the seats, with their open flags (loaded with them: docs/flags.md)
             selectinload(Case.requests).selectinload(DispatchRequest.assignments)
             .joinedload(Assignment.expert))
REQUEST_PAGE = (joinedload(DispatchRequest.case), joinedload(DispatchRequest.city),
                selectinload(DispatchRequest.assignments).joinedload(Assignment.expert)
                .selectinload(Expert.fields),
                selectinload(DispatchRequest.assignments).joinedload(Assignment.expert)
                .joinedload(Expert.home_city))

# What the API dumps of a case or a request (schemas/cases.py), loaded with the rows: without
# them a page of 20 requests cost 40-80 statements, one per party, seat and expert
# (docs/load.md). The handling body's city decides who may see the case; the cause of
# action, whether investigators may serve (the case's warnings).
_BODY_CITY = joinedload(Case.handling_body).joinedload(Organization.city)
_PARTY_NAMES = (joinedload(Party.organization), joinedload(Party.counsel))
CASE_DUMP = (_BODY_CITY, joinedload(Case.cause),
             selectinload(Case.parties).options(*_PARTY_NAMES))
# One case: the same, its fields and parties joined in too (one query, not three: selectin
# pays a query per collection, which only a page of rows earns back).
CASE_ITEM = (_BODY_CITY, joinedload(Case.cause), joinedload(Case.fields),
             joinedload(Case.parties).options(*_PARTY_NAMES))
# A seat's JSON names its expert (a request's seats its fields too); the expert's roles and
# languages, loaded with every expert by default (models/experts.py), are not shown.
SEAT_EXPERT = (lazyload(Expert.roles), lazyload(Expert.languages))
# A request's JSON shows neither its case's fields nor its seats' open flags, both loaded
# with their rows by default: a page of requests skips both (a query each), one request the
# flags (its fields are joined in: its changes read them). Code that reads a skipped one
# still can, with a query on first use.
REQUEST_DUMP = (joinedload(DispatchRequest.case).options(_BODY_CITY, lazyload(Case.fields)),
                selectinload(DispatchRequest.exclusions),
                selectinload(DispatchRequest.assignments).options(
                    lazyload(Assignment.open_flags),
                    joinedload(Assignment.expert).options(*SEAT_EXPERT)))
# One request: its own rows joined in one query, its seats and their experts in another.
REQUEST_ITEM = (joinedload(DispatchRequest.case).options(_BODY_CITY, joinedload(Case.fields)),
                joinedload(DispatchRequest.days), joinedload(DispatchRequest.exclusions),
                selectinload(DispatchRequest.assignments).options(
                    lazyload(Assignment.open_flags),
                    joinedload(Assignment.expert).options(*SEAT_EXPERT,
                                                          joinedload(Expert.fields))))


# What an assignment's JSON shows (schemas/assignments.py), loaded with it: a page of 50 in a
# handful of queries instead of several per row.
# The case's handling body and its city (the body's jurisdiction) are what the scope check
# reads; the seat's expert is named only.
_SEAT_CASE = (_BODY_CITY, lazyload(Case.fields))
_NAMED_EXPERT = joinedload(Assignment.expert).options(*SEAT_EXPERT, lazyload(Expert.fields))
ASSIGNMENT_DUMP = (selectinload(Assignment.request).options(
                       selectinload(DispatchRequest.days),
                       joinedload(DispatchRequest.case).options(*_SEAT_CASE),
                       joinedload(DispatchRequest.case).selectinload(Case.parties)
                       .options(*_PARTY_NAMES)),
                   _NAMED_EXPERT)
# The same for one assignment: joined in one query (selectin pays a query per level, which
# only a page of rows earns back).
ASSIGNMENT_ITEM = (joinedload(Assignment.request).options(
                       joinedload(DispatchRequest.days),
                       joinedload(DispatchRequest.case).options(*_SEAT_CASE),
                       joinedload(DispatchRequest.case).joinedload(Case.parties)
                       .options(*_PARTY_NAMES)),
                   _NAMED_EXPERT)


def _number_like(text: str) -> str:
    """Case numbers are stored with full-width brackets; people type half-width ones."""
    return text.replace("(", "（").replace(")", "）")


def cases_query(user: User, args: dict) -> Select:
    query = may.scope_cases(select(Case).order_by(Case.id.desc()), user) \
        .options(selectinload(Case.requests))
    if args.get("number"):
        query = query.where(Case.number.contains(_number_like(args["number"]), autoescape=True))
    if args.get("kind"):
        query = query.where(Case.kind == args["kind"])
    return query


def requests_query(user: User, args: dict) -> Select:
    query = may.scope_requests(select(DispatchRequest), user) \
        .options(joinedload(DispatchRequest.case))
    for key in ("status", "case_id", "role"):
        if args.get(key) is not None:
            query = query.where(getattr(DispatchRequest, key) == args[key])
    if args.get("number"):
        query = query.where(Case.number.contains(_number_like(args["number"]), autoescape=True))
    return query.order_by(DispatchRequest.id.desc())


def case_option(case: Case) -> dict:
    return {"value": str(case.id), "text": f"{case.number} {case.title}".strip()}


def case_number_options(user: User, text: str) -> list[dict]:
    """Cases the user could link as an earlier stage whose number holds the text: its own
    body's, and an appeal court's also those of the courts below it (issue 9 item 5)."""
    if not text:
        return []
    query = may.scope_linkable_cases(select(Case), user) \
        .where(Case.number.contains(_number_like(text), autoescape=True)) \
        .order_by(Case.id.desc()).limit(MAX_OPTIONS)
    return [case_option(case) for case in db.session.scalars(query)]


def case_number_option(user: User, case_id: str) -> dict | None:
    """The option for an already chosen case, if the user may see it."""
    key = parse_id(case_id)
    case = db.session.get(Case, key) if key else None
    linkable = case and (may.can_see_case(user, case) or (
        getattr(user, "body", None) is not None
        and may.can_link_earlier_stage(user, user.body, case)))
    return case_option(case) if linkable else None


def experts_known_on_case(case: Case) -> list[tuple[str, str]]:
    """The experts standing on this case, as (id, name): whom its clerk can challenge."""
    experts = db.session.scalars(select(Expert).where(
        Expert.id.in_(may.experts_met_by(case, may.STANDING))).order_by(Expert.name))
    return [(str(e.id), e.name) for e in experts]


def assigned_experts(request: DispatchRequest) -> list[dict]:
    """Who stands on the request, as its court sees them: name, fields, city; no contacts."""
    standing = [a for a in request.assignments if a.status in may.STANDING]
    return [{"name": a.expert.name, "status": a.status.value,
             "fields": [f.ipc_code for f in a.expert.fields],
             "city": a.expert.home_city} for a in standing]


def request_history(request: DispatchRequest) -> list[dict]:
    """The request's status over time, from the audit log: its own events and its seats'."""
    assignment_ids = [str(a.id) for a in request.assignments]
    events = db.session.scalars(
        select(AuditEvent).where(or_(
            (AuditEvent.entity == "dispatch_request") & (AuditEvent.entity_id == str(request.id)),
            (AuditEvent.entity == "assignment") & AuditEvent.entity_id.in_(assignment_ids)))
        .order_by(AuditEvent.at, AuditEvent.id))
    history, shown = [], None
    for event in events:
        status = _request_status_after(event)
        own = event.entity == "dispatch_request"
        # A seat's event says it is the seat's ("seat.cancel": a seat ended, not the request);
        # the request's status is shown where it changes, unless its own event says it.
        said = own and ACTION_TO_STATUS.get(event.action) == status
        history.append({"at": event.at, "status": None if status == shown or said else status,
                        "action": event.action if own else f"seat.{event.action}"})
        shown = status or shown
    if not any(e["action"] == "create" for e in history):
        # Rows loaded in bulk (the demo registry, an import) have no filing event: the
        # request's own creation time still tells when it was filed.
        history.insert(0, {"at": request.created_at, "action": "create", "status": None})
    return history


# A request's own events whose word already names the status they lead to.
ACTION_TO_STATUS = {"cancel": "cancelled", "complete": "completed"}


def _request_status_after(event: AuditEvent) -> str | None:
    after = event.after or {}
    if event.entity == "assignment":
        return after.get("request")
    return after.get("status")  # a filing says "filed"; its status adds nothing
