"""The expert's iCalendar feed: confirmed and accepted days, behind a secret, rotatable URL."""

import re
from datetime import date

import pytest
from icalendar import Calendar

from registry.extensions import db
from registry.models import Assignment, AssignmentStatus, AuditEvent, Party, RequestStatus

FEED_URL = re.compile(r'value="(http://localhost(/calendar/[\w-]+\.ics))"')


def feed_path(client) -> str:
    """The feed address the profile page shows (made on the first visit)."""
    html = client.get("/expert/profile").get_data(as_text=True)
    return FEED_URL.search(html).group(2)


def events_of(response) -> dict[str, tuple]:
    """{summary: (DTSTART, DTEND, STATUS)} of a feed."""
    calendar = Calendar.from_ical(response.data)
    return {str(e["SUMMARY"]): (e.start, e.end, str(e["STATUS"]))
            for e in calendar.walk("VEVENT")}


@pytest.fixture
def work(world, make):
    """The world's proposal accepted (3-4 March 2025), plus a mere proposal (7 April) and a
    confirmed one (12 May), all on the Shanghai expert; the first case has named parties."""
    world.sh_case.parties.append(Party(organization=make.organization(name="甲科技有限公司"),
                                       role="plaintiff"))
    world.proposal.status = AssignmentStatus.ACCEPTED
    world.sh_request.status = RequestStatus.ACCEPTED
    proposed = make.request(case=make.case(body=world.sh_court),
                            days=[(date(2025, 4, 7), date(2025, 4, 7))])
    confirmed = make.request(case=make.case(body=world.sh_court),
                             days=[(date(2025, 5, 12), date(2025, 5, 12))])
    db.session.add_all([
        Assignment(request=proposed, expert=world.sh_expert),
        Assignment(request=confirmed, expert=world.sh_expert, status=AssignmentStatus.CONFIRMED)])
    db.session.commit()
    return {"proposed": proposed.case.number, "confirmed": confirmed.case.number}


def test_the_feed_holds_accepted_and_confirmed_days_but_not_proposals(app, client, world,
                                                                     sign_in, work):
    sign_in("expert_sh")
    path = feed_path(client)
    response = app.test_client().get(path)  # a calendar app: no session
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert re.match(r"attachment; filename=[\w.-]+\.ics$", response.headers["Content-Disposition"])
    events = {summary.split(" · ")[0]: dates for summary, dates in events_of(response).items()}
    # DTEND is exclusive: the 3rd and 4th end on the 5th.
    assert events[world.sh_case.number] == (date(2025, 3, 3), date(2025, 3, 5), "CONFIRMED")
    assert events[work["confirmed"]] == (date(2025, 5, 12), date(2025, 5, 13), "TENTATIVE")
    assert work["proposed"] not in events


def test_the_feed_names_no_party_and_no_contact(app, client, world, sign_in, work):
    sign_in("expert_sh")
    text = app.test_client().get(feed_path(client)).get_data(as_text=True)
    assert "甲科技有限公司" not in text
    assert world.sh_expert.email not in text and world.sh_expert.phone not in text
    assert world.sh_expert.name not in text


def test_each_event_keeps_its_uid_from_one_fetch_to_the_next(app, client, world, sign_in, work):
    sign_in("expert_sh")
    path = feed_path(client)

    def uids():
        calendar = Calendar.from_ical(app.test_client().get(path).data)
        return sorted(str(e["UID"]) for e in calendar.walk("VEVENT"))

    first = uids()
    assert len(first) == len(set(first)) == 2 and first == uids()


def test_rotating_the_address_makes_the_old_one_404(app, client, world, sign_in, work):
    sign_in("expert_sh")
    old = feed_path(client)
    assert client.post("/expert/profile/calendar-feed").status_code == 302
    new = feed_path(client)
    calendar_app = app.test_client()
    assert new != old
    assert calendar_app.get(old).status_code == 404
    assert calendar_app.get(new).status_code == 200
    events = db.session.query(AuditEvent).filter_by(action="rotate_calendar_token").all()
    assert len(events) == 1
    token = new.rsplit("/", 1)[1].removesuffix(".ics")
    assert token not in str((events[0].before, events[0].after))  # the secret is not logged


def test_the_feed_stops_while_the_account_is_deactivated(app, client, world, sign_in, work):
    from registry.services import accounts

    sign_in("expert_sh")
    path = feed_path(client)
    calendar_app = app.test_client()
    account = db.session.get(type(world.users["expert_sh"]), world.users["expert_sh"].id)
    accounts.set_active(account, False, world.users["admin"])
    db.session.commit()
    assert calendar_app.get(path).status_code == 404
    accounts.set_active(account, True, world.users["admin"])
    db.session.commit()
    assert calendar_app.get(path).status_code == 200  # the same address, as before


@pytest.mark.parametrize("token", ["x" * 43, "short", "a" * 200, "'; DROP TABLE expert; --" * 2])
def test_an_unknown_or_malformed_token_is_a_bare_404(app, world, token):
    response = app.test_client().get(f"/calendar/{token}.ics")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert world.sh_expert.name not in response.get_data(as_text=True)


def test_each_expert_has_its_own_feed(app, client, world, sign_in, work):
    sign_in("expert_sh")
    mine = feed_path(client)
    sign_in("expert_gd")
    theirs = feed_path(client)
    assert mine != theirs
    assert events_of(app.test_client().get(theirs)) == {}
