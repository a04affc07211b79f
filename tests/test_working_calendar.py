"""The working calendar (issue 9, item 9): holidays and 调休 in the mainland, Hong Kong and
Macao; attendance on a non-working day accepted with a warning; urgent evidence preservation
within 48 hours, ahead of the queue, its coordinators told at once by mail."""

from datetime import date, timedelta

import pytest
from aiosmtpd.controller import Controller

from registry.extensions import db
from registry.models import DispatchRequest, OrganizationKind, UserRole
from registry.models.base import LOCAL_TIME, utcnow
from registry.services.working_calendar import is_working_day, non_working_days
from tests.processes import free_port
from tests.test_notifications import Inbox

NEW_YEAR, SUNDAY = date(2025, 1, 1), date(2025, 3, 2)
MAKE_UP_SATURDAY, MAKE_UP_SUNDAY = date(2025, 2, 8), date(2025, 1, 26)
NATIONAL_DAY, MOVED_REST_DAY = date(2025, 10, 1), date(2025, 10, 8)  # 10-08 a Wednesday
HKSAR_DAY, LUNAR_NEW_YEAR = date(2025, 7, 1), date(2025, 1, 29)

# The Saturdays and Sundays worked by the State Council's notices (国务院办公厅关于2024年、
# 2025年、2026年部分节假日安排的通知): the library must keep agreeing with them.
MAKE_UP_WORKING_DAYS = [
    "2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11", "2024-09-14",
    "2024-09-29", "2024-10-12",
    "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
    "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
]


# -- the calendar itself -----------------------------------------------------------------------

@pytest.mark.parametrize(("day", "name"), [
    (NEW_YEAR, "元旦"), (SUNDAY, None), (NATIONAL_DAY, "国庆节"), (date(2025, 1, 29), "春节"),
])
def test_mainland_holidays_and_weekends_are_non_working_days(day, name):
    assert not is_working_day(day, "SH")
    [found] = non_working_days([(day, day)], "SH")
    assert (found.day, found.holiday) == (day, name)


@pytest.mark.parametrize("day", [MAKE_UP_SATURDAY, MAKE_UP_SUNDAY])
def test_a_weekend_day_made_a_working_day_by_the_state_council_is_a_working_day(day):
    assert day.weekday() >= 5 and is_working_day(day, "JS")
    assert non_working_days([(day, day)], "JS") == []


def test_a_weekday_rest_day_moved_by_tiaoxiu_is_not_a_working_day():
    assert MOVED_REST_DAY.weekday() == 2
    [found] = non_working_days([(MOVED_REST_DAY, MOVED_REST_DAY)], "ZJ")
    assert "调休" in found.holiday


def test_the_make_up_working_days_are_those_of_the_state_council_notices():
    day, worked = date(2024, 1, 1), []
    while day <= date(2026, 12, 31):
        if day.weekday() >= 5 and is_working_day(day, "SH"):
            worked.append(day.isoformat())
        day += timedelta(days=1)
    assert worked == MAKE_UP_WORKING_DAYS


def test_hksar_establishment_day_is_a_hong_kong_holiday_and_a_mainland_working_day():
    assert is_working_day(HKSAR_DAY, "GD") and is_working_day(HKSAR_DAY, "SH")
    [found] = non_working_days([(HKSAR_DAY, HKSAR_DAY)], "HK")
    assert found.holiday == "香港特別行政區成立紀念日" and found.calendar == "HK"
    assert found.holiday_en == "Hong Kong Special Administrative Region Establishment Day"


def test_hong_kong_keeps_no_make_up_days_and_rests_on_saturdays():
    assert not is_working_day(MAKE_UP_SUNDAY, "HK")
    assert not is_working_day(MAKE_UP_SATURDAY, "HK")
    assert is_working_day(date(2025, 3, 3), "HK")  # a Monday


def test_macao_has_its_own_calendar():
    assert not is_working_day(date(2025, 12, 20), "MO")  # Macao SAR Establishment Day
    assert is_working_day(date(2025, 12, 19), "MO") and is_working_day(date(2025, 12, 19), "GD")


def test_a_span_names_each_non_working_day_once_in_order():
    spans = [(date(2025, 9, 29), date(2025, 10, 9)), (date(2025, 10, 1), date(2025, 10, 2))]
    found = [d.day.isoformat() for d in non_working_days(spans, "SH")]
    assert found == [f"2025-10-0{n}" for n in range(1, 9)]  # 10-09 works, 10-11 is outside


# -- the API: accepted, with a warning ---------------------------------------------------------

def new_request(case_id, days, **overrides):
    body = {"case_id": case_id, "role": "investigator", "service": "hearing",
            "days": [{"start": s.isoformat(), "end": e.isoformat()} for s, e in days]}
    body.update(overrides)
    return body


def test_attendance_on_a_sunday_and_on_new_year_is_accepted_with_warnings(client, world, as_):
    response = client.post("/api/v1/requests", headers=as_("clerk_sh"), json=new_request(
        world.sh_case.id, [(NEW_YEAR, NEW_YEAR), (SUNDAY, SUNDAY)]))
    assert response.status_code == 201, response.get_json()
    warnings = response.get_json()["warnings"]
    assert [(w["code"], w["day"], w["holiday"]) for w in warnings] == [
        ("non_working_day", "2025-01-01", "元旦"), ("non_working_day", "2025-03-02", None)]
    again = client.get(f"/api/v1/requests/{response.get_json()['id']}", headers=as_("clerk_sh"))
    assert again.get_json()["warnings"] == warnings


@pytest.mark.parametrize(("day", "holiday"), [(MAKE_UP_SATURDAY, None),
                                              (NATIONAL_DAY, "国庆节")])
def test_a_make_up_saturday_gives_no_warning_and_national_day_one(client, world, as_, day,
                                                                  holiday):
    response = client.post("/api/v1/requests", headers=as_("clerk_sh"),
                           json=new_request(world.sh_case.id, [(day, day)]))
    assert response.status_code == 201
    assert [w["holiday"] for w in response.get_json()["warnings"]] == \
        ([holiday] if holiday else [])


@pytest.fixture
def hk_court(make):
    court = make.body("hong_kong", name="香港高等法院", case_number_code=None)
    case = make.case(body=court, number="HCA 1234/2024")
    clerk = make.user(UserRole.CLERK, body_id=court.id)
    db.session.commit()
    return court, case, clerk


def test_a_hong_kong_request_on_lunar_new_year_is_warned_by_the_hong_kong_calendar(
        client, make, world, hk_court):
    _court, case, clerk = hk_court
    headers = make.token_for(clerk)
    response = client.post("/api/v1/requests", headers=headers, json=new_request(
        case.id, [(LUNAR_NEW_YEAR, LUNAR_NEW_YEAR), (HKSAR_DAY, HKSAR_DAY)]))
    assert response.status_code == 201, response.get_json()
    assert [(w["holiday"], w["calendar"]) for w in response.get_json()["warnings"]] == [
        ("農曆年初一", "HK"), ("香港特別行政區成立紀念日", "HK")]


def test_a_mainland_request_on_hksar_day_gives_no_warning(client, world, as_):
    response = client.post("/api/v1/requests", headers=as_("clerk_sh"),
                           json=new_request(world.sh_case.id, [(HKSAR_DAY, HKSAR_DAY)]))
    assert response.get_json()["warnings"] == []


# -- urgent evidence preservation --------------------------------------------------------------

def urgent(case_id, hours_ahead=24.0, days=(), **overrides):
    needed_by = utcnow() + timedelta(hours=hours_ahead)
    values = {"service": "evidence_preservation", "urgent": True,
              "needed_by": needed_by.isoformat()}
    return new_request(case_id, days, **(values | overrides))


def test_an_urgent_preservation_request_within_48_hours_is_accepted(client, world, as_):
    response = client.post("/api/v1/requests", headers=as_("clerk_sh"),
                           json=urgent(world.sh_case.id, hours_ahead=47.5))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["urgent"] is True and body["needed_by"]


def test_a_needed_by_time_without_offset_is_china_time(client, world, as_):
    local = (utcnow() + timedelta(hours=10)).astimezone(LOCAL_TIME).replace(
        tzinfo=None, second=0, microsecond=0)
    response = client.post("/api/v1/requests", headers=as_("clerk_sh"), json=new_request(
        world.sh_case.id, [], service="evidence_preservation", urgent=True,
        needed_by=local.isoformat()))
    assert response.status_code == 201, response.get_json()
    stored = db.session.get(DispatchRequest, response.get_json()["id"]).needed_by
    assert stored.astimezone(LOCAL_TIME).replace(tzinfo=None) == local


@pytest.mark.parametrize(("change", "field"), [
    ({"hours_ahead": 49}, "needed_by"),
    ({"hours_ahead": -1}, "needed_by"),
    ({"service": "hearing"}, "urgent"),
    ({"needed_by": None}, "needed_by"),
    ({"urgent": False}, "needed_by"),  # a needed-by time belongs to an urgent request
])
def test_urgency_is_refused_beside_its_field_and_nothing_is_written(client, world, as_,
                                                                   change, field):
    hours = change.pop("hours_ahead", 24.0)
    before = db.session.query(DispatchRequest).count()
    response = client.post("/api/v1/requests", headers=as_("clerk_sh"),
                           json=urgent(world.sh_case.id, hours_ahead=hours, **change))
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["errors"]["json"]) == [field]
    assert db.session.query(DispatchRequest).count() == before


def test_urgent_attendance_on_a_holiday_is_warned_not_blocked(client, world, as_):
    tomorrow = (utcnow() + timedelta(hours=24)).astimezone(LOCAL_TIME).date()
    sunday = tomorrow + timedelta(days=(6 - tomorrow.weekday()) % 7)
    response = client.post("/api/v1/requests", headers=as_("clerk_sh"), json=urgent(
        world.sh_case.id, hours_ahead=24, days=[(sunday, sunday)]))
    assert response.status_code == 201, response.get_json()
    if is_working_day(sunday, "SH"):  # a make-up working day: nothing to warn about
        assert response.get_json()["warnings"] == []
    else:
        assert response.get_json()["warnings"][0]["day"] == sunday.isoformat()


# -- the coordinators are told at once -------------------------------------------------------

@pytest.fixture
def inbox(app):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port,
                      MAIL_FROM="registry@example.cn", MAIL_TIMEOUT=5, MAIL_USE_TLS=False,
                      PUBLIC_URL="https://registry.example.cn")
    yield handler
    controller.stop()


def test_an_urgent_filing_mails_the_regions_coordinators_over_smtp(inbox, client, world, as_,
                                                                  make):
    make.user(UserRole.COORDINATOR, region="YRD", active=False)
    response = client.post("/api/v1/requests", headers=as_("clerk_sh"),
                           json=urgent(world.sh_case.id, hours_ahead=12))
    assert response.status_code == 201
    users = world.users
    assert inbox.recipients() == sorted([users["coordinator_yrd"].email,
                                         users["coordinator_sh"].email])
    mail = inbox.to(users["coordinator_sh"].email)
    link = f"https://registry.example.cn/console/requests/{response.get_json()['id']}/candidates"
    assert world.sh_case.number in mail.body and link in mail.body
    assert world.sh_case.number in mail.message["Subject"]


def test_a_regular_or_refused_filing_mails_nobody(inbox, client, world, as_):
    client.post("/api/v1/requests", headers=as_("clerk_sh"),
                json=new_request(world.sh_case.id, [(SUNDAY, SUNDAY)]))
    refused = client.post("/api/v1/requests", headers=as_("clerk_sh"),
                          json=urgent(world.sh_case.id, hours_ahead=49))
    assert refused.status_code == 422
    assert inbox.received == []


def test_a_hong_kong_urgent_filing_mails_the_gba_coordinator_only(inbox, client, make, world,
                                                                 hk_court):
    _court, case, clerk = hk_court
    response = client.post("/api/v1/requests", headers=make.token_for(clerk),
                           json=urgent(case.id))
    assert response.status_code == 201, response.get_json()
    assert inbox.recipients() == [world.users["coordinator_gba"].email]


def test_kind_is_not_what_decides_the_calendar(make):
    """An arbitration institution in Hong Kong works by Hong Kong's calendar too."""
    body = make.body("hong_kong", kind=OrganizationKind.ARBITRATION_INSTITUTION,
                     case_number_code=None)
    request = make.request(case=make.case(body=body, kind="arbitration",
                                          number="（2025）深国仲受77号"),
                           days=[(HKSAR_DAY, HKSAR_DAY)])
    from registry.services.working_calendar import request_warnings

    assert [w["calendar"] for w in request_warnings(request)] == ["HK"]


# -- the demo --------------------------------------------------------------------------------

def test_the_calendar_demo_files_a_holiday_request_and_an_urgent_one(app, world):
    from registry.services.calendar_demo import seed_calendar_demo
    from registry.services.working_calendar import request_warnings

    on_holiday, pressing = seed_calendar_demo(date(2026, 9, 20))
    db.session.commit()
    assert on_holiday.case_id == world.sh_case.id
    assert [w["holiday"] for w in request_warnings(on_holiday)] == ["中秋节"]  # 2026-09-25
    assert pressing.urgent and pressing.needed_by > utcnow()
