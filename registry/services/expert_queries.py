"""Reading what an expert's own pages show: its assignments, days, declarations and record.

Every query loads up front what its page shows (cases, cities, organizations), so templates
never query; scoping comes from `permissions` and the loaders in `access`.
"""

from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from registry.extensions import db
from registry.models import (
    Affiliation,
    Assignment,
    AssignmentStatus,
    AttendanceDays,
    Case,
    DeclaredConflict,
    DispatchRequest,
    Expert,
    IpcField,
    Party,
    Unavailability,
    User,
)
from registry.services import permissions as may

# The feed carries work the coordinator has confirmed; proposals may still change.
FEED_STATUSES = frozenset({AssignmentStatus.CONFIRMED, AssignmentStatus.ACCEPTED})


def _with_request_and_case():
    request = joinedload(Assignment.request)
    return (request.joinedload(DispatchRequest.case), request.joinedload(DispatchRequest.city))


def assignments_query(user: User) -> Select:
    """The user's assignments, newest first, with what the list shows (parties included)."""
    parties = joinedload(Assignment.request).joinedload(DispatchRequest.case) \
        .selectinload(Case.parties)
    return (may.scope_assignments(select(Assignment), user)
            .options(*_with_request_and_case(),
                     parties.joinedload(Party.organization), parties.joinedload(Party.counsel))
            .order_by(Assignment.created_at.desc(), Assignment.id.desc()))


def for_page(assignment: Assignment) -> Assignment:
    """The assignment with its request, case and city loaded, for a page to show."""
    return db.session.scalars(select(Assignment).where(Assignment.id == assignment.id)
                              .options(*_with_request_and_case())).one()


def attendance(expert: Expert, statuses, start: date | None = None,
               end: date | None = None) -> list[tuple[Assignment, AttendanceDays]]:
    """Each attendance span of the expert's assignments in `statuses`, within [start, end]."""
    query = (select(Assignment, AttendanceDays)
             .join(Assignment.request).join(AttendanceDays)
             .where(Assignment.expert_id == expert.id, Assignment.status.in_(statuses))
             .options(*_with_request_and_case())
             .order_by(AttendanceDays.start, Assignment.id))
    if start and end:
        query = query.where(AttendanceDays.start <= end, AttendanceDays.end >= start)
    return [(assignment, span) for assignment, span in db.session.execute(query)]


def unavailability_of(expert: Expert) -> list[Unavailability]:
    return list(db.session.scalars(select(Unavailability)
                                   .where(Unavailability.expert_id == expert.id)
                                   .order_by(Unavailability.start)))


def affiliations_of(expert: Expert) -> list[Affiliation]:
    """Current ties first (no end), then the most recently ended."""
    return list(db.session.scalars(
        select(Affiliation).where(Affiliation.expert_id == expert.id)
        .options(joinedload(Affiliation.organization))
        .order_by(Affiliation.end.is_not(None), Affiliation.end.desc(), Affiliation.id.desc())))


def conflicts_of(expert: Expert) -> list[DeclaredConflict]:
    return list(db.session.scalars(
        select(DeclaredConflict).where(DeclaredConflict.expert_id == expert.id)
        .options(joinedload(DeclaredConflict.organization))
        .order_by(DeclaredConflict.declared_at.desc(), DeclaredConflict.id.desc())))


def profile_of(expert: Expert) -> Expert:
    """The record with its city, jurisdiction and appointing body loaded for the page."""
    return db.session.scalars(
        select(Expert).where(Expert.id == expert.id)
        .options(joinedload(Expert.home_city), joinedload(Expert.jurisdiction),
                 joinedload(Expert.appointing_body))).one()


def ipc_fields(codes: list[str]) -> dict[str, IpcField]:
    """The reference entries of these IPC codes (a code missing from them shows bare)."""
    return {f.code: f for f in db.session.scalars(select(IpcField).where(IpcField.code.in_(codes)))}
