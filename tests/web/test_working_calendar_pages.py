"""The working calendar on the pages: the clerk's form (after save and live), the request and
case pages, and the coordinator console (urgent first, with a direct dispatch link)."""

from datetime import datetime, timedelta

from registry.extensions import db
from registry.models import DispatchRequest
from registry.models.base import LOCAL_TIME, utcnow
from tests.test_working_calendar import NATIONAL_DAY

# -- the pages ---------------------------------------------------------------------------------

def test_the_clerk_form_accepts_a_holiday_and_the_request_page_warns(client, world,
                                                                    sign_in):
    sign_in("clerk_sh")
    response = client.post(f"/clerk/cases/{world.sh_case.id}/requests/new", data={
        "role": "investigator", "service": "hearing",
        "days-0-start": "2025-01-01", "days-0-end": "2025-01-01",
        "days-1-start": "2025-03-02", "days-1-end": "2025-03-02"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="non-working-days"' in page and "2025-01-01 (元旦)" in page
    assert "flash-warning" in page


def test_a_make_up_saturday_shows_no_warning_on_the_request_page(client, world, sign_in):
    sign_in("clerk_sh")
    response = client.post(f"/clerk/cases/{world.sh_case.id}/requests/new", data={
        "role": "investigator", "service": "hearing",
        "days-0-start": "2025-02-08", "days-0-end": "2025-02-08"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    # (a flash says the day is past: this test is about the working calendar only)
    assert 'id="non-working-days"' not in page and "非工作日" not in page


def test_the_form_checks_the_days_as_they_are_picked(client, world, sign_in):
    sign_in("clerk_sh")
    url = f"/clerk/cases/{world.sh_case.id}/requests/check-days"
    holiday = client.post(url, data={"days-0-start": "2025-10-01", "days-0-end": "2025-10-02"})
    assert holiday.status_code == 200 and "国庆节" in holiday.get_data(as_text=True)
    worked = client.post(url, data={"days-0-start": "2025-02-08", "days-0-end": "not a day"})
    assert "days-check-result" not in worked.get_data(as_text=True)
    in_hong_kong = client.post(url, data={"days-0-start": "2025-07-01", "city": "hong_kong"})
    assert "香港特別行政區成立紀念日" in in_hong_kong.get_data(as_text=True)
    page = client.get(f"/clerk/cases/{world.sh_case.id}/requests/new").get_data(as_text=True)
    assert f'hx-post="{url}"' in page


def test_the_form_says_when_days_are_past_and_counts_a_long_span_honestly(client, world,
                                                                          sign_in):
    from registry.services.working_calendar import MAX_DAYS_NAMED

    sign_in("clerk_sh")
    url = f"/clerk/cases/{world.sh_case.id}/requests/check-days"
    today = datetime.now(LOCAL_TIME).date()
    past, coming = today - timedelta(days=400), today + timedelta(days=30)
    answer = client.post(url, data={"days-0-start": past.isoformat(),
                                    "days-1-start": coming.isoformat()}).get_data(as_text=True)
    assert 'id="days-check-past"' in answer and past.isoformat() in answer
    assert coming.isoformat() not in answer.split('id="days-check-past"')[1].split("</p>")[0]
    assert 'id="days-check-past"' not in client.post(url, data={
        "days-0-start": coming.isoformat()}).get_data(as_text=True)
    long_span = client.post(url, data={"days-0-start": coming.isoformat(),
                                       "days-0-end": (coming + timedelta(days=360)).isoformat()})
    assert f"将至少有 {MAX_DAYS_NAMED} 个非工作日" in long_span.get_data(as_text=True)
    assert "已受理" not in long_span.get_data(as_text=True)  # nothing is filed yet


def test_another_bodys_case_cannot_be_checked(client, world, sign_in):
    sign_in("clerk_sh")
    response = client.post(f"/clerk/cases/{world.gd_case.id}/requests/check-days",
                           data={"days-0-start": "2025-10-01"})
    assert response.status_code == 404


def test_the_urgent_form_refuses_49_hours_beside_the_field_keeping_the_values(
        client, world, sign_in):
    sign_in("clerk_sh")
    later = (utcnow() + timedelta(hours=49)).astimezone(LOCAL_TIME).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/clerk/cases/{world.sh_case.id}/requests/new", data={
        "role": "investigator", "service": "evidence_preservation", "urgent": "true",
        "needed_by": later})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="needed_by-error"' in html and f'value="{later}"' in html


def file_urgent_through_the_form(client, world, hours=20):
    soon = (utcnow() + timedelta(hours=hours)).astimezone(LOCAL_TIME).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/clerk/cases/{world.sh_case.id}/requests/new", data={
        "role": "investigator", "service": "evidence_preservation", "urgent": "true",
        "needed_by": soon, "priority": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.query(DispatchRequest).order_by(DispatchRequest.id.desc()).first()


def test_the_clerk_sees_urgency_on_the_case_and_request_pages(client, world, sign_in):
    sign_in("clerk_sh")
    filed = file_urgent_through_the_form(client, world)
    assert filed.urgent
    case_page = client.get(f"/clerk/cases/{world.sh_case.id}").get_data(as_text=True)
    assert "urgent-badge" in case_page
    request_page = client.get(f"/clerk/requests/{filed.id}").get_data(as_text=True)
    assert "urgent-badge" in request_page and "min" in request_page


def test_an_urgent_request_heads_the_console_with_a_direct_dispatch_link(client, world, make,
                                                                        sign_in):
    first = make.request(case=world.sh_case, priority=5)
    pressing = make.request(case=world.sh_case, priority=1, service="evidence_preservation",
                            urgent=True, needed_by=utcnow() + timedelta(hours=5))
    db.session.commit()
    sign_in("coordinator_yrd")
    html = client.get("/console/").get_data(as_text=True)
    rows = [html.index(f'<td>{r.id}</td>\n      <td class="nowrap">')
            for r in (pressing, first, world.sh_request)]
    assert rows == sorted(rows)
    link = f'href="/console/requests/{pressing.id}/candidates" class="dispatch-now"'
    assert link in html
    assert client.get(f"/console/requests/{pressing.id}/candidates").status_code == 200


def test_an_overdue_urgent_request_says_so(client, world, make, sign_in):
    make.request(case=world.sh_case, service="evidence_preservation", urgent=True,
                 needed_by=utcnow() - timedelta(hours=2, minutes=5))
    db.session.commit()
    sign_in("coordinator_sh")
    html = client.get("/console/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "overdue by 2 h" in html


def test_the_console_marks_attendance_on_a_holiday(client, world, make, sign_in):
    make.request(case=world.sh_case, days=[(NATIONAL_DAY, NATIONAL_DAY)])
    db.session.commit()
    sign_in("coordinator_sh")
    html = client.get("/console/").get_data(as_text=True)
    assert "2025-10-01 (国庆节)" in html
