"""The demo registry's recusal lifecycle: a pending challenge, a self-recusal and parties'
notices due (one overdue), on the Shanghai IP Court's cases (docs/recusal.md).

Called by services/demo.py after the demo registry is built: `seed_recusals_demo(today)`.
Idempotent: a registry that already holds a challenge gets nothing more.
"""

from datetime import date, timedelta

from sqlalchemy import select

from registry.extensions import db
from registry.models import (
    SERVED_STATUSES,
    Assignment,
    Case,
    Challenge,
    DispatchRequest,
    ExpertRole,
    PartiesNotice,
    User,
)
from registry.models.base import local_today
from registry.services import recusals

CLERK = "clerk.sh-ipc@demo.example.com"
EXPERT = "expert@demo.example.com"
RECUSAL_REASON = "与被告法定代表人系同学关系"
CHALLENGE_GROUNDS = "被申请人曾为原告提供技术咨询服务，可能影响公正审理"


def seed_recusals_demo(today: date | None = None) -> dict[str, int]:
    """Add the demo's challenge, recusal and notices; return how many of each were made."""
    today = today or local_today()
    made = {"challenges": 0, "recusals": 0, "notices": 0}
    clerk = db.session.scalar(select(User).where(User.email == CLERK))
    if clerk is None or db.session.scalar(select(Challenge.id).limit(1)) is not None:
        return made
    seats = _investigator_seats(clerk.body_id)
    made["notices"] = _notices(seats, today)
    used = {a.request.case_id for a in seats[:2]}
    made["challenges"] = _challenge(seats, used, clerk, today)
    made["recusals"] = _recusal(used)
    db.session.flush()
    return made


def _investigator_seats(body_id: int) -> list[Assignment]:
    return list(db.session.scalars(
        select(Assignment).join(Assignment.request).join(DispatchRequest.case)
        .where(Case.handling_body_id == body_id, DispatchRequest.role == ExpertRole.INVESTIGATOR,
               Assignment.status.in_(SERVED_STATUSES))
        .order_by(Assignment.id)))


def _notices(seats: list[Assignment], today: date) -> int:
    """One notice confirmed yesterday (due), one confirmed five days ago (overdue)."""
    made = 0
    for seat, days_ago in zip(seats[:2], (1, 5), strict=False):
        if db.session.scalar(select(PartiesNotice.id).where(
                PartiesNotice.assignment_id == seat.id)) is None:
            db.session.add(PartiesNotice.due_for(seat, today - timedelta(days=days_ago)))
            made += 1
    return made


def _challenge(seats: list[Assignment], used: set[int], clerk: User, today: date) -> int:
    """A party's challenge recorded yesterday, pending: the expert is suspended."""
    seat = next((a for a in seats if a.request.case_id not in used and a.request.case.parties),
                None)
    if seat is None:
        return 0
    case = seat.request.case
    recusals.record_challenge(case, {
        "expert_id": seat.expert_id, "party_id": case.parties[-1].id,
        "applied_on": today - timedelta(days=1), "grounds": CHALLENGE_GROUNDS}, clerk, today)
    used.add(case.id)
    return 1


def _recusal(used: set[int]) -> int:
    """The demo expert recuses from a case it was proposed or confirmed for."""
    expert_user = db.session.scalar(select(User).where(User.email == EXPERT))
    if expert_user is None or expert_user.expert_id is None:
        return 0
    seat = db.session.scalar(
        select(Assignment).join(Assignment.request)
        .where(Assignment.expert_id == expert_user.expert_id,
               DispatchRequest.case_id.not_in(used or {0}))
        .order_by(Assignment.id).limit(1))
    if seat is None:
        return 0
    recusals.recuse(seat.request.case, seat.expert, RECUSAL_REASON, expert_user,
                    prefer=seat.request)
    return 1
