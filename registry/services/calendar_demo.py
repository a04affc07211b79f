"""Demo data for the working calendar: a request with attendance on a holiday, and an urgent
evidence-preservation request (docs/calendar.md).

Call after `demo.build(...)`, in the same transaction: `seed_calendar_demo(today)`. Both
requests are filed through `services.cases.create_request` as the court's clerk, so they are
audited and the urgent one tells the region's coordinators (printed in the demo).
"""

from datetime import date, datetime, time, timedelta

from sqlalchemy import case, select

from registry.extensions import db
from registry.models import (
    Case,
    CaseKind,
    DispatchRequest,
    ExpertRole,
    Organization,
    Service,
    User,
    UserRole,
)
from registry.models.base import LOCAL_TIME
from registry.services import cases as case_service
from registry.services import working_calendar

COURT_CODE = "沪73"  # the Shanghai IP Court, whose clerk the demo signs in as
SEARCH_DAYS = 400
CASES_TRIED = 50


def next_holiday(today: date, jurisdiction: str) -> date:
    """The first named holiday after `today` in the jurisdiction's calendar."""
    for offset in range(1, SEARCH_DAYS):
        day = today + timedelta(days=offset)
        if working_calendar.holiday_name(day, jurisdiction) and \
                not working_calendar.is_working_day(day, jurisdiction):
            return day
    raise LookupError(f"no holiday in {jurisdiction} within {SEARCH_DAYS} days of {today}")


def _court_and_clerk() -> tuple[Case, User] | None:
    """A case open to an investigator and its court's clerk, the Shanghai IP Court's first."""
    query = (select(Case, User)
             .join(Organization, Case.handling_body_id == Organization.id)
             .join(User, (User.body_id == Organization.id) & (User.role == UserRole.CLERK))
             .where(User.active.is_(True), Case.kind != CaseKind.ARBITRATION)
             .order_by(case((Organization.case_number_code == COURT_CODE, 0), else_=1),
                       Case.id)
             .limit(CASES_TRIED))
    return next(((found, clerk) for found, clerk in db.session.execute(query)
                 if found.investigators_allowed), None)


def seed_calendar_demo(today: date | None = None) -> list[DispatchRequest]:
    """File the two demo requests (none when no court has a clerk); return them."""
    found = _court_and_clerk()
    if found is None:
        return []
    court_case, clerk = found
    today = today or datetime.now(LOCAL_TIME).date()
    holiday = next_holiday(today, court_case.handling_body.jurisdiction_code)
    base = {"case_id": court_case.id, "role": ExpertRole.INVESTIGATOR, "seats": 1,
            "remote_allowed": False, "priority": 3, "exclusions": []}
    on_holiday = case_service.create_request(dict(
        base, service=Service.ON_SITE_INSPECTION, days=[{"start": holiday, "end": holiday}],
        note="演示：勘验安排在法定节假日（日历会提示）"), clerk)
    needed_by = datetime.combine(today + timedelta(days=1), time(16, 0), LOCAL_TIME)
    now = datetime.now(LOCAL_TIME)
    if not timedelta(0) < needed_by - now <= timedelta(hours=47):
        needed_by = now + timedelta(hours=30)
    urgent = case_service.create_request(dict(
        base, service=Service.EVIDENCE_PRESERVATION, priority=5, urgent=True, needed_by=needed_by,
        days=[{"start": needed_by.date(), "end": needed_by.date()}],
        note="演示：紧急证据保全，被告可能转移服务器日志"), clerk)
    return [on_holiday, urgent]
