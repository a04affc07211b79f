"""The demo registry's flagged seat (docs/flags.md): an expert holding an accepted (else a
confirmed) investigator seat at the Shanghai IP Court declares, afterwards, a conflict with
that case's plaintiff; the seat is flagged at once, as in the issue's report.

Called by services/demo.py after the demo registry is built: `seed_flags_demo()`.
Idempotent: a registry that already holds a flag gets nothing more.
"""

from sqlalchemy import select

from registry.extensions import db
from registry.models import (
    Assignment,
    AssignmentFlag,
    AssignmentStatus,
    Case,
    DispatchRequest,
    ExpertRole,
    PartyRole,
    User,
)
from registry.services import experts

CLERK = "clerk.sh-ipc@demo.example.com"
REASON = "声明人近期受聘为原告提供技术咨询"


def seed_flags_demo() -> dict[str, int]:
    """Flag one held seat by a conflict declared after it was taken; return {"flags": n}."""
    clerk = db.session.scalar(select(User).where(User.email == CLERK))
    if clerk is None or db.session.scalar(select(AssignmentFlag.id).limit(1)) is not None:
        return {"flags": 0}
    seat = _held_seat(clerk.body_id)
    plaintiff = seat and next((p.organization for p in seat.request.case.parties
                               if p.role is PartyRole.PLAINTIFF and p.organization), None)
    if plaintiff is None or any(c.organization_id == plaintiff.id
                                for c in seat.expert.conflicts):
        return {"flags": 0}
    actor = db.session.scalar(select(User).where(User.expert_id == seat.expert_id))
    experts.add_conflict(seat.expert, {"organization_id": plaintiff.id, "reason": REASON},
                         actor)
    return {"flags": db.session.query(AssignmentFlag).count()}


def _held_seat(body_id: int) -> Assignment | None:
    """The body's latest accepted investigator seat with attendance days, else confirmed."""
    for status in (AssignmentStatus.ACCEPTED, AssignmentStatus.CONFIRMED):
        seat = db.session.scalar(
            select(Assignment).join(Assignment.request).join(DispatchRequest.case)
            .where(Case.handling_body_id == body_id, Assignment.status == status,
                   DispatchRequest.role == ExpertRole.INVESTIGATOR,
                   DispatchRequest.days.any())
            .order_by(Assignment.id.desc()).limit(1))
        if seat is not None:
            return seat
    return None
