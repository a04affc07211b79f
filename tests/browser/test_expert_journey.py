"""An expert's journey through its pages, in Chinese, as the issue tells it.

The demo expert marks two weeks unavailable, declines an assignment with the reason 出差,
accepts another, and downloads its calendar feed: an .ics file that parses and holds the
accepted work (and not the declined), then makes a new feed address and the old one is gone.
The assignments and the free month come from the seeded database, never hard-coded: the demo
generator leaves the demo expert two confirmed assignments with attendance days to answer
(`registry.services.demo.work_to_answer`).
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import icalendar
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from registry.extensions import db
from registry.models import (
    ACTIVE_ASSIGNMENT_STATUSES,
    Assignment,
    AssignmentStatus,
    Unavailability,
    User,
)
from registry.services import calendar
from registry.web.labels import LOCAL_TIME
from tests.browser.harness import (
    DOCS_SCREENSHOTS,
    new_document,
    path_of,
    screenshot,
    screenshot_languages,
)

DECLINE_REASON = "出差"          # two characters: a whole reason
ABSENCE_REASON = "学术会议"
ABSENT_DAYS = 14                 # two weeks
DOCS_LIMIT = 400 * 1024          # a committed screenshot stays small


@dataclass(frozen=True)
class Work:
    """One of the demo expert's confirmed assignments, with its attendance spans."""

    id: int
    number: str                                    # its case number
    spans: tuple[tuple[int, date, date], ...]      # (AttendanceDays.id, first, last day)


@dataclass(frozen=True)
class Seeded:
    to_decline: Work
    to_accept: Work
    free_month: date      # the 1st of a month whose grid shows no work and no absence


def server_today() -> date:
    """Today as the pages count it (China Standard Time), which may not be the machine's."""
    return datetime.now(LOCAL_TIME).date()


def months_after(day: date):
    first = day.replace(day=1)
    while True:
        first = (first + timedelta(days=31)).replace(day=1)
        yield first


@pytest.fixture(scope="module")
def seeded(live_server) -> Seeded:
    with live_server.app_context():
        user = db.session.scalar(select(User).where(User.email == live_server.logins["expert"]))
        expert = user.expert
        mine = db.session.scalars(select(Assignment).where(Assignment.expert_id == expert.id)
                                  .order_by(Assignment.id)).all()
        waiting = [Work(a.id, a.request.case.number,
                        tuple((d.id, d.start, d.end) for d in a.request.days))
                   for a in mine if a.status is AssignmentStatus.CONFIRMED and a.request.days]
        assert len(waiting) >= 2, (
            "the demo expert needs two confirmed assignments with attendance days "
            f"(demo.work_to_answer); it has {[(a.id, a.status.value) for a in mine]}")
        # Two different cases, so a case number in the feed names one assignment only.
        to_decline = waiting[0]
        to_accept = next(w for w in waiting[1:] if w.number != to_decline.number)
        busy = [(d.start, d.end) for a in mine if a.status in ACTIVE_ASSIGNMENT_STATUSES
                for d in a.request.days]
        busy += [(u.start, u.end) for u in db.session.scalars(
            select(Unavailability).where(Unavailability.expert_id == expert.id))]

        def free(first: date) -> bool:
            shown_from, shown_to = calendar.grid_range(first)
            return not any(start <= shown_to and end >= shown_from for start, end in busy)

        free_month = next(first for first in months_after(server_today()) if free(first))
        return Seeded(to_decline, to_accept, free_month)


def flash(page):
    return page.locator("main p.flash[role=status]")


def row_of(page, assignment_id: int):
    return page.locator(f"#assignment-{assignment_id}")


def feed_events(body: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


def test_expert_marks_absence_declines_accepts_and_downloads_the_feed(
        page, live_server, sign_in, seeded):
    first = seeded.free_month
    last = first + timedelta(days=ABSENT_DAYS - 1)
    month_key = first.strftime("%Y-%m")
    declined, accepted = seeded.to_decline, seeded.to_accept

    # 1. Signed in, in Chinese: the calendar; two weeks unavailable in a month without work.
    sign_in("expert")
    assert path_of(page) == "/expert/"
    page.locator("nav a[href='/expert/calendar']").click()
    page.wait_for_url(live_server.link("/expert/calendar"))
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    expect(page.locator("#month-title")).to_have_text(server_today().strftime("%Y-%m"))

    start, end = page.locator("#start"), page.locator("#end")
    start.fill(first.isoformat())
    end.fill(last.isoformat())
    page.locator("#reason").fill(ABSENCE_REASON)
    expect(start).to_have_value(first.isoformat())
    expect(end).to_have_value(last.isoformat())
    with new_document(page, path="/expert/calendar") as answered:
        page.locator("#unavailability-form button[type=submit]").click()
    assert answered.value.status == 302, answered.value.text()
    expect(flash(page)).to_have_count(1)
    expect(page.locator("#month-title")).to_have_text(month_key)  # shown where they are

    # The page goes to the month of the new days; walk there from this month all the same,
    # as someone checking the grid would, through the "next month" link.
    page.goto(live_server.link("/expert/calendar"))
    for _ in range(36):
        if page.locator("#month-title").inner_text() == month_key:
            break
        with new_document(page, method="GET", path="/expert/calendar"):
            page.locator(".month-nav a[rel=next]").click()
    expect(page.locator("#month-title")).to_have_text(month_key)
    assert path_of(page) == "/expert/calendar" and f"month={month_key}" in page.url

    marked = page.locator(".calendar .day.unavailable")
    expect(marked).to_have_count(ABSENT_DAYS)
    assert marked.evaluate_all("days => days.map(d => d.dataset.date)") == [
        (first + timedelta(days=n)).isoformat() for n in range(ABSENT_DAYS)]
    expect(marked.locator(".what").first).to_contain_text(ABSENCE_REASON)
    expect(page.locator(".calendar .day.busy")).to_have_count(0)  # the month has no work
    listed = page.locator("main table tbody tr").filter(
        has=page.locator(f"a[href$='month={month_key}']"))
    expect(listed).to_have_count(1)
    cells = listed.locator("td")
    for n, text in enumerate((first.isoformat(), last.isoformat(), ABSENCE_REASON)):
        expect(cells.nth(n)).to_have_text(text)
    expect(cells.nth(3).locator("form button")).to_be_visible()  # and it can be removed
    screenshot_languages(page, "expert-calendar", fits_width=True)
    docs = screenshot(page, "expert-calendar-zh", directory=DOCS_SCREENSHOTS)
    assert docs.stat().st_size < DOCS_LIMIT, f"{docs}: {docs.stat().st_size} bytes"

    # 2. The assignments: decline one with the reason 出差.
    page.locator("nav a[href='/expert/']").click()
    page.wait_for_url(live_server.link("/expert/"))
    for work in (declined, accepted):
        expect(row_of(page, work.id).locator(".status")).to_have_class("status status-confirmed")
        expect(row_of(page, work.id).locator("td").first).to_have_text(work.number)
    decline_url = f"/expert/assignments/{declined.id}/decline"
    row_of(page, declined.id).locator(f"a[href='{decline_url}']").click()
    page.wait_for_url(live_server.link(decline_url))
    expect(page.locator("main h1")).to_contain_text(declined.number)
    screenshot_languages(page, "expert-decline", fits_width=True)

    # A blank reason is refused on the form; 出差 alone is enough.
    reason = page.locator("#reason")
    reason.fill("   ")
    with new_document(page, path=decline_url) as answered:
        page.locator("#confirm-decline").click()
    assert answered.value.status == 422
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#reason-error")).to_be_visible()

    reason.fill(DECLINE_REASON)
    expect(reason).to_have_value(DECLINE_REASON)
    with new_document(page, path=decline_url) as answered:
        page.locator("#confirm-decline").click()
    assert answered.value.status == 302, answered.value.text()
    assert path_of(page) == "/expert/"
    expect(flash(page)).to_have_count(1)
    row = row_of(page, declined.id)
    expect(row.locator(".status")).to_have_class("status status-declined")
    expect(row.locator(".status")).to_have_text("已拒绝")
    expect(row.locator("td.answers")).to_contain_text(DECLINE_REASON)
    expect(row.locator("td.answers button, td.answers a")).to_have_count(0)  # answered

    # 3. Accept the other through its Accept button.
    with new_document(page, path=f"/expert/assignments/{accepted.id}/accept") as answered:
        row_of(page, accepted.id).locator(
            f"form[action='/expert/assignments/{accepted.id}/accept'] button").click()
    assert answered.value.status == 302, answered.value.text()
    expect(flash(page)).to_contain_text(accepted.number)
    row = row_of(page, accepted.id)
    expect(row.locator(".status")).to_have_class("status status-accepted")
    expect(row.locator("form[action$='/accept']")).to_have_count(0)
    expect(row.locator(f"a[href='/expert/assignments/{accepted.id}/decline']")).to_have_count(1)
    screenshot_languages(page, "expert-assignments", fits_width=True)

    # The profile shows the feed address; the feed holds the accepted work, not the declined.
    page.locator("nav a[href='/expert/profile']").click()
    page.wait_for_url(live_server.link("/expert/profile"))
    feed = page.locator("#feed-url")
    expect(feed).to_have_value(
        re.compile(rf"^{re.escape(live_server.url)}/calendar/[A-Za-z0-9_-]{{32,64}}\.ics$"))
    old_url = feed.input_value()
    screenshot_languages(page, "expert-profile", fits_width=True)
    expect(page.locator("#feed-url")).to_have_value(old_url)  # looking does not rotate it

    response = page.request.get(old_url)
    assert response.status == 200, response.status
    assert response.headers["content-type"].startswith("text/calendar")
    body = response.body()
    events = {str(e["UID"]): e for e in feed_events(body)}
    for span_id, first_day, last_day in accepted.spans:
        event = events.get(calendar.event_uid(accepted.id, span_id))
        assert event is not None, f"no event for assignment {accepted.id} in {list(events)}"
        assert accepted.number in str(event["SUMMARY"])
        assert event.decoded("DTSTART") == first_day
        assert event.decoded("DTEND") == last_day + timedelta(days=1)  # exclusive
        assert str(event["STATUS"]) == "CONFIRMED"                       # accepted, not tentative
    assert not [uid for uid in events if uid.startswith(f"assignment-{declined.id}-")]
    assert not [e for e in events.values() if declined.number in str(e["SUMMARY"])]
    assert DECLINE_REASON.encode() not in body  # the feed says nothing of answers

    # A new address: the old one answers 404 at once, the new one the same calendar.
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    with new_document(page, path="/expert/profile/calendar-feed") as answered:
        page.locator("#rotate-feed").click()
    assert answered.value.status == 302
    assert len(dialogs) == 1 and dialogs[0]
    assert path_of(page) == "/expert/profile"
    expect(flash(page)).to_have_count(1)
    expect(page.locator("#feed-url")).not_to_have_value(old_url)
    new_url = page.locator("#feed-url").input_value()
    assert new_url.startswith(f"{live_server.url}/calendar/") and new_url.endswith(".ics")

    assert page.request.get(old_url).status == 404
    renewed = page.request.get(new_url)
    assert renewed.status == 200
    assert set(str(e["UID"]) for e in feed_events(renewed.body())) == set(events)


def test_affiliations_and_conflicts_page(page, live_server, sign_in):
    sign_in("expert")
    page.locator("nav a[href='/expert/declarations']").click()
    page.wait_for_url(live_server.link("/expert/declarations"))
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("main h2")).to_have_count(3)  # affiliations, conflicts, relations
    expect(page.locator("main a[href='/expert/declarations/affiliations/new']")).to_be_visible()
    expect(page.locator("main a[href='/expert/declarations/conflicts/new']")).to_be_visible()
    expect(page.locator("main a[href='/expert/declarations/relations/new']")).to_be_visible()
    screenshot_languages(page, "expert-declarations", fits_width=True)
