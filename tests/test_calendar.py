"""The month grid and the iCalendar writer: pure functions, no app needed."""

from datetime import UTC, date, datetime

import pytest
from icalendar import Calendar

from registry.services.calendar import (
    FeedEvent,
    Span,
    calendar_uid,
    event_uid,
    month_grid,
    month_of,
    write_ics,
)

TODAY = date(2026, 11, 28)


@pytest.mark.parametrize(("first", "weeks", "grid_start", "grid_end"), [
    (date(2026, 12, 1), 5, date(2026, 11, 30), date(2027, 1, 3)),   # starts on a Tuesday
    (date(2027, 2, 1), 4, date(2027, 2, 1), date(2027, 2, 28)),     # Monday 1st, Sunday 28th
    (date(2025, 3, 1), 6, date(2025, 2, 24), date(2025, 4, 6)),     # Saturday 1st, 31 days
    (date(2028, 2, 1), 5, date(2028, 1, 31), date(2028, 3, 5)),     # a leap February
])
def test_the_grid_is_whole_weeks_from_monday_to_sunday(first, weeks, grid_start, grid_end):
    month = month_grid(first, [], [], TODAY)
    assert len(month.weeks) == weeks and all(len(week) == 7 for week in month.weeks)
    assert (month.weeks[0][0].day, month.weeks[-1][-1].day) == (grid_start, grid_end)
    assert all(day.day.weekday() == column for week in month.weeks
               for column, day in enumerate(week))


def test_days_of_other_months_are_marked_outside():
    month = month_grid(date(2026, 12, 1), [], [], TODAY)
    outside = [d.day for week in month.weeks for d in week if not d.in_month]
    assert outside == [date(2026, 11, 30), date(2027, 1, 1), date(2027, 1, 2),
                       date(2027, 1, 3)]


def test_spans_mark_every_day_they_cover_and_no_other():
    away = Span(date(2026, 11, 29), date(2026, 12, 2), "年假")
    hearing = Span(date(2026, 12, 2), date(2026, 12, 2), "（2026）沪73知民初1号", "accepted")
    month = month_grid(date(2026, 12, 1), [away], [hearing], TODAY)
    days = {d.day: d for week in month.weeks for d in week}
    assert [d for d, cell in sorted(days.items()) if cell.unavailable] == [
        date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)]  # 29 Nov is off the grid
    assert days[date(2026, 12, 2)].work == (hearing,)
    assert [d for d, cell in days.items() if cell.work] == [date(2026, 12, 2)]


def test_today_is_marked_once():
    month = month_grid(date(2026, 11, 1), [], [], TODAY)
    assert [d.day for week in month.weeks for d in week if d.is_today] == [TODAY]


@pytest.mark.parametrize(("text", "first"), [
    ("2026-12", date(2026, 12, 1)), ("2027-01", date(2027, 1, 1)),
    (None, date(2026, 11, 1)), ("", date(2026, 11, 1)), ("2026-13", date(2026, 11, 1)),
    ("2026-00", date(2026, 11, 1)), ("9999-12", date(2026, 11, 1)), ("26-12", date(2026, 11, 1)),
    ("2026-12-01", date(2026, 11, 1)),
    ("２０２６-１２", date(2026, 12, 1)),  # full-width digits, as a Chinese input method types them
])
def test_the_month_comes_from_the_query_or_is_todays(text, first):
    assert month_of(text, TODAY) == first


def test_previous_and_next_months_cross_years_and_stop_at_the_edges():
    december = month_grid(date(2026, 12, 1), [], [], TODAY)
    assert (december.previous, december.next) == (date(2026, 11, 1), date(2027, 1, 1))
    assert month_grid(date(2000, 1, 1), [], [], TODAY).previous is None
    assert month_grid(date(2100, 12, 1), [], [], TODAY).next is None


def an_event(**overrides) -> FeedEvent:
    values = {"uid": event_uid(7, 3), "first": date(2026, 12, 1), "last": date(2026, 12, 2),
              "summary": "（2026）沪73知民初1号 · 庭审", "location": "上海市",
              "stamp": datetime(2026, 11, 20, 8, 0, tzinfo=UTC), "tentative": False}
    values.update(overrides)
    return FeedEvent(**values)


def test_the_feed_is_rfc_5545_with_all_day_events_ending_the_day_after():
    text = write_ics([an_event()], "我的调派", calendar_uid(1))
    assert text.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert b"DTSTART;VALUE=DATE:20261201\r\n" in text
    assert b"DTEND;VALUE=DATE:20261203\r\n" in text
    event = Calendar.from_ical(text).walk("VEVENT")[0]
    assert (event.start, event.end) == (date(2026, 12, 1), date(2026, 12, 3))
    assert (str(event["UID"]), str(event["LOCATION"]), str(event["STATUS"])) == (
        "assignment-7-days-3@expert-dispatch.registry", "上海市", "CONFIRMED")
    assert event["DTSTAMP"].dt == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def test_a_work_not_yet_accepted_is_tentative_and_an_empty_feed_is_valid():
    tentative = Calendar.from_ical(write_ics([an_event(tentative=True)], "x", calendar_uid(1)))
    assert str(tentative.walk("VEVENT")[0]["STATUS"]) == "TENTATIVE"
    assert Calendar.from_ical(write_ics([], "x", calendar_uid(1))).walk("VEVENT") == []


def test_uids_are_stable_and_distinct_per_assignment_and_span():
    assert event_uid(7, 3) == event_uid(7, 3)
    assert len({event_uid(7, 3), event_uid(7, 4), event_uid(8, 3)}) == 3
