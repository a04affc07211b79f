"""Which experts a request may draw on: those of the handling body's jurisdiction and of every
jurisdiction sharing a recognition agreement in force with it, and, for an arbitrator request
at an institution that keeps a roster, those on its roster (docs/rules.md, rule
`jurisdiction`). The solver's problems are built from this (problem_export), and a
coordinator may name only these experts, or those it manages, on a request (access)."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from registry.extensions import db
from registry.models import (
    DispatchRequest,
    Expert,
    OrganizationKind,
    PanelMembership,
    RecognitionAgreement,
)
from registry.services import memo


def may_draw_on(request: DispatchRequest, expert: Expert, as_of: date) -> bool:
    """Whether the expert is among those the request may draw on, whatever its standing
    (status, records, conflicts: the rules judge those)."""
    if expert.jurisdiction_code in request_jurisdictions(request, agreements_in_force(as_of)):
        return True
    institution = roster_institution(request)
    return institution is not None and db.session.scalar(
        select(PanelMembership.id).where(PanelMembership.institution_id == institution,
                                         PanelMembership.expert_id == expert.id)
        .limit(1)) is not None


def request_jurisdictions(request: DispatchRequest, agreements) -> set[str]:
    """The jurisdictions a request draws its experts from, by geography: the handling body's
    and those sharing one of `agreements` (in force) with it."""
    return recognised_jurisdictions({request.case.handling_body.jurisdiction_code}, agreements)


def agreements_in_force(as_of: date) -> list[RecognitionAgreement]:
    return memo.remember("agreements_in_force", as_of, lambda days: {
        day: _agreements_in_force(day) for day in days})


def _agreements_in_force(as_of: date) -> list[RecognitionAgreement]:
    agreements = db.session.scalars(select(RecognitionAgreement)
                                    .options(selectinload(RecognitionAgreement.members))
                                    .order_by(RecognitionAgreement.code))
    return [agreement for agreement in agreements if agreement.in_force_on(as_of)]


def recognised_jurisdictions(jurisdictions: set[str], agreements) -> set[str]:
    """The region itself and every jurisdiction sharing an agreement in force with it."""
    recognised = set(jurisdictions)
    for agreement in agreements:
        members = agreement.member_codes()
        if members & jurisdictions:
            recognised |= members
    return recognised


def roster_institution(request: DispatchRequest) -> int | None:
    """The arbitration institution whose roster decides rule 4 for this request: the case's
    handling body, for an arbitrator request at an institution that keeps its roster here
    (one place on it at least); else None, and geography decides."""
    body = request.case.handling_body
    if request.role.value != "arbitrator" or \
            body.kind is not OrganizationKind.ARBITRATION_INSTITUTION:
        return None
    kept = db.session.scalar(select(PanelMembership.id)
                             .where(PanelMembership.institution_id == body.id).limit(1))
    return body.id if kept is not None else None


def roster_institutions(requests) -> set[int]:
    return {i for r in requests if (i := roster_institution(r)) is not None}
