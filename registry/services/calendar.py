"""An expert's days: the month grid its calendar page draws, and its iCalendar feed.

`month_grid` and `write_ics` are pure (dates and spans in, structures or bytes out); the feed's
secret token is kept on the Expert row and every change to it is audited.
"""

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import icalendar
from sqlalchemy import select

from registry.extensions import db
from registry.models import Expert, User
from registry.services.audit import record

MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})$")
FIRST_YEAR, LAST_YEAR = 2000, 2100  # keeps previous/next links and date maths in range
PRODID = "-//Expert dispatch registry//Expert calendar//EN"
UID_DOMAIN = "expert-dispatch.registry"  # fixed, so UIDs do not change with the host name
REFRESH = timedelta(hours=1)  # how often subscribed calendar apps should fetch again
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


# -- the month grid ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Span:
    """Days from `first` to `last` inclusive, with what fills them (a case number, a reason)."""

    first: date
    last: date
    label: str = ""
    status: str = ""

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class Day:
    day: date
    in_month: bool
    is_today: bool
    unavailable: tuple[Span, ...]
    work: tuple[Span, ...]


@dataclass(frozen=True)
class Month:
    first: date
    weeks: tuple[tuple[Day, ...], ...]

    @property
    def previous(self) -> date | None:
        before = self.first - timedelta(days=1)
        return before.replace(day=1) if before.year >= FIRST_YEAR else None

    @property
    def next(self) -> date | None:
        after = (self.first + timedelta(days=31)).replace(day=1)
        return after if after.year <= LAST_YEAR else None


def month_of(text: str | None, today: date) -> date:
    """'2026-12' -> 2026-12-01; anything else (missing, malformed, far off) -> today's month."""
    match = MONTH.match(text or "")
    if match and FIRST_YEAR <= int(match["year"]) <= LAST_YEAR and 1 <= int(match["month"]) <= 12:
        return date(int(match["year"]), int(match["month"]), 1)
    return today.replace(day=1)


def grid_range(first: date) -> tuple[date, date]:
    """The Monday before (or on) the 1st, and the Sunday after (or on) the month's last day."""
    last_of_month = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
    start = first - timedelta(days=first.weekday())
    end = last_of_month + timedelta(days=6 - last_of_month.weekday())
    return start, end


def month_grid(first: date, unavailable: Iterable[Span], work: Iterable[Span],
               today: date) -> Month:
    """The weeks (Monday first) that show the month of `first`, each day with what is on it."""
    unavailable, work = tuple(unavailable), tuple(work)
    start, end = grid_range(first)
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    cells = [Day(day=d, in_month=d.month == first.month, is_today=d == today,
                 unavailable=tuple(s for s in unavailable if s.covers(d)),
                 work=tuple(s for s in work if s.covers(d))) for d in days]
    return Month(first=first, weeks=tuple(tuple(cells[i:i + 7])
                                          for i in range(0, len(cells), 7)))


# -- the iCalendar feed --------------------------------------------------------------------------

@dataclass(frozen=True)
class FeedEvent:
    """One all-day event: an attendance span of an assignment."""

    uid: str
    first: date
    last: date
    summary: str
    location: str
    stamp: datetime      # when the assignment last changed
    tentative: bool      # confirmed by the coordinator, not yet accepted by the expert


def event_uid(assignment_id: int, span_id: int) -> str:
    """Stable per assignment and span, so calendar apps update an event instead of adding one."""
    return f"assignment-{assignment_id}-days-{span_id}@{UID_DOMAIN}"


def calendar_uid(expert_id: int) -> str:
    return f"expert-{expert_id}@{UID_DOMAIN}"


def write_ics(events: Iterable[FeedEvent], name: str, uid: str) -> bytes:
    """An RFC 5545 calendar of all-day events (DTEND is exclusive: the day after the last)."""
    calendar = icalendar.Calendar.new(prodid=PRODID, name=name, uid=uid)
    # RFC 7986 wants VALUE=DURATION spelled out, which Calendar.new(refresh_interval=) omits.
    calendar.add("REFRESH-INTERVAL", REFRESH, parameters={"VALUE": "DURATION"})
    for event in events:
        calendar.add_component(icalendar.Event.new(
            uid=event.uid, start=event.first, end=event.last + timedelta(days=1),
            summary=event.summary, location=event.location, stamp=event.stamp,
            status="TENTATIVE" if event.tentative else "CONFIRMED"))
    return calendar.to_ical()


# -- the feed's secret token ---------------------------------------------------------------------

def _new_token() -> str:
    return secrets.token_urlsafe(32)  # 43 characters, 256 bits


def feed_token(expert: Expert, actor: User) -> str:
    """The expert's feed token, created the first time it is asked for."""
    if not expert.calendar_token:
        expert.calendar_token = _new_token()
        record(actor, "create_calendar_token", "expert", expert.id)
    return expert.calendar_token


def rotate_feed_token(expert: Expert, actor: User) -> str:
    """A new token: the old feed URL stops working at once (the token itself is not logged)."""
    expert.calendar_token = _new_token()
    record(actor, "rotate_calendar_token", "expert", expert.id)
    return expert.calendar_token


def expert_by_feed_token(token: str) -> Expert | None:
    """The expert whose feed this is; None for a malformed, unknown or rotated token, and
    while the expert's account is deactivated (as its sign-in and tokens stop)."""
    if not TOKEN.match(token):
        return None
    return db.session.scalar(select(Expert).join(User, User.expert_id == Expert.id)
                             .where(Expert.calendar_token == token, User.active.is_(True)))
