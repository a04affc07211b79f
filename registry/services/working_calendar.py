"""The working calendar: which days courts work, in the mainland, Hong Kong and Macao.

Pure functions over dates, with one exception at the end (`request_warnings`, which reads a
request's already loaded days and city). The holidays come from the `holidays` package
(python-holidays, updated each year from the official notices):

- mainland (every jurisdiction but HK and MO): the statutory holidays of the State Council's
  yearly notice (国务院办公厅关于…年部分节假日安排的通知), its rest days moved by 调休, and its
  make-up working days: a Saturday or Sunday on which everyone works (2025-01-26 is one);
- Hong Kong: the general holidays (公眾假期);
- Macao: the public holidays (公眾假期).

Saturdays and Sundays are rest days everywhere (Hong Kong's Judiciary and government keep a
five-day week, although the library counts only Sunday as Hong Kong's weekend), unless the
mainland notice makes one a working day. Days are never refused: a non-working day is only
named, so that a clerk and a coordinator see it (urgent evidence preservation works on
holidays as a matter of course).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

MAINLAND, HONG_KONG, MACAO = "CN", "HK", "MO"
# The library's calendar of each jurisdiction code of the registry (seeds/jurisdictions.csv);
# every other code is a mainland province.
CALENDAR_OF = {"HK": HONG_KONG, "MO": MACAO}
# The language of a holiday's name: Chinese as the place writes it, and English.
NAME_LANGUAGES = {MAINLAND: ("zh_CN", "en_US"), HONG_KONG: ("zh_HK", "en_HK"),
                  MACAO: ("zh_MO", "en_MO")}
WEEKEND = frozenset({5, 6})  # Saturday, Sunday
MAX_DAYS_NAMED = 60  # a span longer than this is named by its first non-working days only


@dataclass(frozen=True)
class NonWorkingDay:
    day: date
    holiday: str | None  # its name in Chinese; None for a plain Saturday or Sunday
    holiday_en: str | None
    calendar: str  # CN, HK or MO

    def as_warning(self) -> dict:
        """The API's shape of the warning about this day."""
        return {"code": "non_working_day", "day": self.day.isoformat(),
                "holiday": self.holiday, "holiday_en": self.holiday_en,
                "calendar": self.calendar}


def calendar_of(jurisdiction: str | None) -> str:
    """The calendar a jurisdiction works by: HK and MO their own, the mainland's otherwise."""
    return CALENDAR_OF.get(jurisdiction or "", MAINLAND)


@lru_cache(maxsize=64)
def _holidays(calendar: str, year: int, language: str):
    return holidays.country_holidays(calendar, years=year, language=language)


def holiday_name(day: date, jurisdiction: str | None, english: bool = False) -> str | None:
    """The name of the holiday on `day`, or None."""
    calendar = calendar_of(jurisdiction)
    return _holidays(calendar, day.year, NAME_LANGUAGES[calendar][english]).get(day)


def is_make_up_working_day(day: date, jurisdiction: str | None) -> bool:
    """A Saturday or Sunday on which the mainland works (调休上班), by the State Council."""
    calendar = calendar_of(jurisdiction)
    if calendar != MAINLAND:
        return False
    return day in _holidays(calendar, day.year, NAME_LANGUAGES[calendar][0]).weekend_workdays


def is_working_day(day: date, jurisdiction: str | None) -> bool:
    """Whether courts of the jurisdiction work on `day` (HK, MO or a mainland code)."""
    if holiday_name(day, jurisdiction) is not None:
        return False
    if is_make_up_working_day(day, jurisdiction):
        return True
    return day.weekday() not in WEEKEND


def _days_of(spans: Iterable) -> Iterable[date]:
    for span in spans:
        start, end = (span.start, span.end) if hasattr(span, "start") else span
        day = start
        while day <= end:
            yield day
            day += timedelta(days=1)


def non_working_days(spans: Iterable, jurisdiction: str | None) -> list[NonWorkingDay]:
    """The non-working days within the spans ((start, end) pairs or AttendanceDays), in
    order, each with its holiday's name (None for a plain weekend day)."""
    calendar = calendar_of(jurisdiction)
    found: dict[date, NonWorkingDay] = {}
    for day in _days_of(spans):
        if day in found or is_working_day(day, jurisdiction):
            continue
        found[day] = NonWorkingDay(day, holiday_name(day, jurisdiction),
                                   holiday_name(day, jurisdiction, english=True), calendar)
        if len(found) >= MAX_DAYS_NAMED:
            break
    return [found[day] for day in sorted(found)]


def request_jurisdiction(request) -> str | None:
    """Where the attendance is: the jurisdiction of the request's city (loaded once a city:
    `session.get` answers from the session after the first request of a city)."""
    from registry.extensions import db
    from registry.models import City

    city = db.session.get(City, request.city_code) if request.city_code else None
    return city.jurisdiction_code if city else None


def request_warnings(request) -> list[dict]:
    """The API's warnings about a request's attendance days: one per non-working day."""
    if not request.days:
        return []
    return [day.as_warning()
            for day in non_working_days(request.days, request_jurisdiction(request))]


@dataclass(frozen=True)
class Urgency:
    """How an urgent request stands against its needed-by time, at `now`."""

    needed_by: datetime  # aware
    minutes_left: int  # negative once overdue

    @property
    def overdue(self) -> bool:
        return self.minutes_left < 0

    @property
    def hours(self) -> int:
        return abs(self.minutes_left) // 60

    @property
    def minutes(self) -> int:
        return abs(self.minutes_left) % 60


def urgency(request, now: datetime) -> Urgency | None:
    """The countdown of an urgent request (None for a regular one)."""
    if not request.urgent or request.needed_by is None:
        return None
    return Urgency(request.needed_by, int((request.needed_by - now).total_seconds() // 60))


@dataclass(frozen=True)
class Marks:
    """What a page shows about a request's time: non-working days and urgency."""

    non_working: list[NonWorkingDay]
    urgency: Urgency | None


def marks(request, now: datetime) -> Marks:
    days = non_working_days(request.days, request_jurisdiction(request)) if request.days else []
    return Marks(days, urgency(request, now))
