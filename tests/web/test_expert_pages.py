"""The expert's pages: assignments, calendar, declarations, profile, and the iCalendar feed."""

import re
from datetime import date, datetime

import pytest

from registry.extensions import db
from registry.models import (
    Affiliation,
    Assignment,
    AssignmentStatus,
    AuditEvent,
    DeclaredConflict,
    Exclusion,
    Expert,
    Party,
    RequestStatus,
    Unavailability,
)
from registry.web.labels import LOCAL_TIME
from tests.web.test_templates_never_query import statements_while_rendering


def html_of(response) -> str:
    return response.get_data(as_text=True)


def day_classes(html: str, day: str) -> set[str]:
    """The classes of one day of the month grid."""
    return set(re.search(rf'class="([^"]*)" data-date="{day}"', html).group(1).split())


def invalid_input(html: str, name: str) -> bool:
    """The input is marked invalid and points at its error message, which is on the page."""
    tag = re.search(rf'<(?:input|textarea|select)[^>]*\bid="{name}"[^>]*>', html).group(0)
    return 'aria-invalid="true"' in tag and f'aria-describedby="{name}-error"' in tag \
        and f'id="{name}-error"' in html


def set_status(assignment: Assignment, status: AssignmentStatus) -> Assignment:
    """Move an assignment (and its one-seat request) straight to a status, for set-up."""
    assignment.status = status
    assignment.request.status = RequestStatus(status.value)
    db.session.commit()
    return assignment


def status_of(assignment: Assignment) -> AssignmentStatus:
    db.session.expire_all()
    return db.session.get(Assignment, assignment.id).status


# -- who may open the pages ----------------------------------------------------------------------

def test_signing_in_lands_an_expert_on_its_assignments(client, world, sign_in):
    sign_in("expert_sh")
    response = client.get("/", follow_redirects=True)
    assert response.request.path == "/expert/"
    assert world.sh_case.number in html_of(response)


@pytest.mark.parametrize(("method", "url"), [
    ("GET", "/expert/"), ("GET", "/expert/calendar"), ("GET", "/expert/declarations"),
    ("GET", "/expert/profile"), ("GET", "/expert/search/organizations?q=上海"),
    ("POST", "/expert/assignments/1/accept"), ("POST", "/expert/profile/calendar-feed"),
])
def test_a_clerk_is_refused_the_expert_pages(client, world, sign_in, method, url):
    sign_in("clerk_sh")
    response = client.open(url, method=method)
    assert response.status_code == 403
    assert response.mimetype == "text/html"


def test_the_expert_pages_need_signing_in(client, world):
    response = client.get("/expert/calendar")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


# -- assignments ---------------------------------------------------------------------------------

def test_accepting_confirmed_work(client, world, sign_in):
    set_status(world.proposal, AssignmentStatus.CONFIRMED)
    sign_in("expert_sh")
    response = client.post(f"/expert/assignments/{world.proposal.id}/accept")
    assert response.status_code == 302
    assert status_of(world.proposal) is AssignmentStatus.ACCEPTED
    assert db.session.query(AuditEvent).filter_by(action="accept").count() == 1


def test_declining_with_a_two_character_reason_works_and_keeps_the_reason(client, world,
                                                                          sign_in):
    set_status(world.proposal, AssignmentStatus.CONFIRMED)
    sign_in("expert_sh")
    response = client.post(f"/expert/assignments/{world.proposal.id}/decline",
                           data={"reason": "出差"})
    assert response.status_code == 302
    db.session.expire_all()
    declined = db.session.get(Assignment, world.proposal.id)
    assert (declined.status, declined.decline_reason) == (AssignmentStatus.DECLINED, "出差")
    assert db.session.query(Exclusion).one().note == "出差"  # kept off the next solver run


def test_declining_with_a_blank_reason_is_refused_beside_the_field(client, world, sign_in):
    set_status(world.proposal, AssignmentStatus.CONFIRMED)
    sign_in("expert_sh")
    response = client.post(f"/expert/assignments/{world.proposal.id}/decline",
                           data={"reason": "  \u3000 "}, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert invalid_input(html_of(response), "reason")
    assert "a reason is needed" in html_of(response)
    assert status_of(world.proposal) is AssignmentStatus.CONFIRMED
    assert db.session.query(Exclusion).count() == 0


def shown_version(html: str, form_action: str | None = None) -> str:
    """The hidden version input of the form that posts to `form_action` (or of the page's
    one form)."""
    if form_action is not None:
        html = re.search(rf'<form[^>]*action="{re.escape(form_action)}"[^>]*>(.*?)</form>',
                         html, re.S).group(1)
    return re.search(r'name="version" value="(\d+)"', html).group(1)


def test_a_decline_sent_from_a_page_older_than_an_accept_is_refused(client, world, sign_in):
    """Two tabs: the list (accept) and the decline page, both shown while the work was
    confirmed. Accepting in the first makes the second's decline stale: nothing changes."""
    set_status(world.proposal, AssignmentStatus.CONFIRMED)
    sign_in("expert_sh")
    accept_url = f"/expert/assignments/{world.proposal.id}/accept"
    decline_url = f"/expert/assignments/{world.proposal.id}/decline"
    first_tab = shown_version(html_of(client.get("/expert/")), accept_url)
    second_tab = shown_version(html_of(client.get(decline_url)))
    assert first_tab == second_tab

    assert client.post(accept_url, data={"version": first_tab}).status_code == 302
    refused = client.post(decline_url, data={"version": second_tab, "reason": "出差"},
                          headers={"Accept-Language": "en"})
    assert refused.status_code in (409, 422)
    assert f"assignment {world.proposal.id}" in html_of(refused)  # the 409 names it
    assert status_of(world.proposal) is AssignmentStatus.ACCEPTED
    assert db.session.query(Exclusion).count() == 0
    assert db.session.query(AuditEvent).filter_by(action="decline").count() == 0
    # The page now shows the work as accepted, and the version it shows with it.
    assert 'status-accepted' in html_of(refused)
    assert shown_version(html_of(refused)) != second_tab


def test_an_accept_sent_from_a_stale_page_is_refused(client, world, sign_in):
    set_status(world.proposal, AssignmentStatus.CONFIRMED)
    sign_in("expert_sh")
    accept_url = f"/expert/assignments/{world.proposal.id}/accept"
    shown = shown_version(html_of(client.get("/expert/")), accept_url)
    world.proposal.reasons = ["the coordinator noted something since"]  # a new version
    db.session.commit()
    refused = client.post(accept_url, data={"version": shown},
                          headers={"Accept-Language": "en"})
    assert refused.status_code == 409
    assert f"assignment {world.proposal.id}" in html_of(refused)
    assert status_of(world.proposal) is AssignmentStatus.CONFIRMED
    assert db.session.query(AuditEvent).filter_by(action="accept").count() == 0
    fresh = shown_version(html_of(client.get("/expert/")), accept_url)
    assert client.post(accept_url, data={"version": fresh}).status_code == 302
    assert status_of(world.proposal) is AssignmentStatus.ACCEPTED


@pytest.mark.parametrize(("method", "action", "data"), [
    ("POST", "accept", None), ("POST", "decline", {"reason": "出差"}), ("GET", "decline", None)])
def test_an_expert_cannot_answer_another_experts_assignment(client, world, sign_in, method,
                                                            action, data):
    set_status(world.proposal, AssignmentStatus.CONFIRMED)
    sign_in("expert_gd")
    response = client.open(f"/expert/assignments/{world.proposal.id}/{action}", method=method,
                           data=data)
    assert response.status_code == 404  # a colleague's assignment is out of sight
    assert status_of(world.proposal) is AssignmentStatus.CONFIRMED
    assert db.session.query(AuditEvent).filter(
        AuditEvent.action.in_(("accept", "decline"))).count() == 0


def test_a_confidential_cases_parties_are_withheld_until_the_expert_is_confirmed(
        client, world, make, sign_in):
    world.sh_case.parties.append(Party(organization=make.organization(name="甲科技有限公司"),
                                       role="plaintiff"))
    world.sh_case.confidential = True
    db.session.commit()
    sign_in("expert_sh")
    assert "甲科技有限公司" not in html_of(client.get("/expert/"))
    set_status(world.proposal, AssignmentStatus.CONFIRMED)
    assert "甲科技有限公司" in html_of(client.get("/expert/"))


# -- calendar ------------------------------------------------------------------------------------

def test_the_calendar_shows_unavailable_days_and_assignment_days(client, world, sign_in):
    world.sh_expert.unavailability.append(
        Unavailability(start=date(2025, 3, 10), end=date(2025, 3, 11), reason="年假"))
    db.session.commit()
    sign_in("expert_sh")
    html = html_of(client.get("/expert/calendar?month=2025-03"))
    assert "unavailable" in day_classes(html, "2025-03-10")
    assert "unavailable" in day_classes(html, "2025-03-11")
    assert "busy" in day_classes(html, "2025-03-03")  # the proposal's attendance days
    assert day_classes(html, "2025-03-05") == {"day"}
    # March 2025 starts on a Saturday: the grid starts on Monday 24 February, dimmed.
    assert re.findall(r'data-date="([\d-]+)"', html)[0] == "2025-02-24"
    assert "outside" in day_classes(html, "2025-02-24")
    assert 'href="/expert/calendar?month=2025-02"' in html
    assert 'href="/expert/calendar?month=2025-04"' in html


def test_adding_unavailable_days_shows_them_in_their_month(client, world, sign_in):
    sign_in("expert_sh")
    response = client.post("/expert/calendar", data={"start": "2025-06-02", "end": "2025-06-03",
                                                     "reason": "出差"})
    assert response.status_code == 302 and response.headers["Location"].endswith("month=2025-06")
    assert "unavailable" in day_classes(html_of(client.get(response.headers["Location"])),
                                        "2025-06-03")


def test_unavailable_days_over_held_work_are_saved_with_a_warning(client, world, sign_in):
    """The world's proposal attends 3-4 March 2025: blocking 4 March says so."""
    sign_in("expert_sh")
    response = client.post("/expert/calendar", data={"start": "2025-03-04", "end": "2025-03-04"},
                           follow_redirects=True)
    html = html_of(response)
    assert world.sh_case.number in html and "Decline it" not in html  # Chinese
    assert "时间重叠" in html
    quiet = client.post("/expert/calendar", data={"start": "2025-06-02", "end": "2025-06-03"},
                        follow_redirects=True)
    assert "重叠" not in html_of(quiet)


def test_a_range_ending_before_it_starts_comes_back_with_the_values_kept(client, world, sign_in):
    sign_in("expert_sh")
    response = client.post("/expert/calendar?month=2025-03",
                           data={"start": "2025-03-12", "end": "2025-03-10", "reason": "学术会议"})
    html = html_of(response)
    assert response.status_code == 422
    assert invalid_input(html, "end")
    assert 'value="2025-03-12"' in html and 'value="学术会议"' in html
    assert db.session.query(Unavailability).count() == 0


def test_an_overlapping_range_is_refused_beside_its_start(client, world, sign_in):
    world.sh_expert.unavailability.append(
        Unavailability(start=date(2025, 3, 10), end=date(2025, 3, 14)))
    db.session.commit()
    sign_in("expert_sh")
    response = client.post("/expert/calendar", data={"start": "2025-03-14", "end": "2025-03-20"})
    assert response.status_code == 422
    assert invalid_input(html_of(response), "start")
    assert db.session.query(Unavailability).count() == 1


def test_removing_unavailable_days(client, world, make, sign_in):
    world.sh_expert.unavailability.append(
        Unavailability(start=date(2025, 3, 10), end=date(2025, 3, 14)))
    db.session.commit()
    entry = world.sh_expert.unavailability[0]
    sign_in("expert_gd")  # someone else's days are not found
    assert client.post(f"/expert/calendar/unavailability/{entry.id}/remove").status_code == 404
    sign_in("expert_sh")
    assert client.post(f"/expert/calendar/unavailability/{entry.id}/remove").status_code == 302
    assert db.session.query(Unavailability).count() == 0


# -- affiliations and conflicts ------------------------------------------------------------------

def test_declaring_and_withdrawing_a_conflict(client, world, make, sign_in):
    company = make.organization(name="华为技术有限公司")
    db.session.commit()
    sign_in("expert_sh")
    form = {"organization_id": str(company.id), "reason": "曾任顾问"}
    assert client.post("/expert/declarations/conflicts/new", data=form).status_code == 302
    assert "华为技术有限公司" in html_of(client.get("/expert/declarations"))
    again = client.post("/expert/declarations/conflicts/new", data=form)
    assert again.status_code == 422 and invalid_input(html_of(again), "organization_id")
    assert f'<option value="{company.id}" selected>华为技术有限公司' in html_of(again)
    conflict = db.session.query(DeclaredConflict).one()
    assert client.post(f"/expert/declarations/conflicts/{conflict.id}/withdraw").status_code \
        == 302
    assert db.session.query(DeclaredConflict).count() == 0


def test_an_affiliation_is_declared_and_ended_but_not_before_it_began(client, world, make,
                                                                      sign_in):
    university = make.organization(name="复旦大学")
    db.session.commit()
    sign_in("expert_sh")
    response = client.post("/expert/declarations/affiliations/new", data={
        "organization_id": str(university.id), "role": "教授", "start": "2020-09-01"})
    assert response.status_code == 302
    affiliation = db.session.query(Affiliation).one()
    url = f"/expert/declarations/affiliations/{affiliation.id}/end"
    today = datetime.now(LOCAL_TIME).date().isoformat()
    assert f'value="{today}"' in html_of(client.get(url))  # ending today is suggested
    no_date = client.post(url, data={})
    assert no_date.status_code == 422 and invalid_input(html_of(no_date), "end")
    too_early = client.post(url, data={"end": "2019-01-01"})
    assert too_early.status_code == 422 and invalid_input(html_of(too_early), "end")
    ended = client.post(url, data={"end": "2024-06-30"}, follow_redirects=True)
    assert "任职已结束" in html_of(ended)
    db.session.expire_all()
    assert db.session.get(Affiliation, affiliation.id).end == date(2024, 6, 30)
    assert 'value="2024-06-30"' in html_of(client.get(url))  # its own last day, not today
    later = client.post(url, data={"end": "2999-12-31"}, follow_redirects=True)
    assert "将于 2999-12-31 结束" in html_of(later)  # not said to have ended


def test_the_organization_picker_searches_as_you_type(client, world, make, sign_in):
    company = make.organization(name="华为技术有限公司", name_en="Huawei")
    db.session.commit()
    sign_in("expert_sh")
    assert client.get("/expert/search/organizations?q=huawei").get_json() == [
        {"value": str(company.id), "text": "华为技术有限公司 / Huawei"}]


# -- profile -------------------------------------------------------------------------------------

def test_the_profile_changes_languages_and_ignores_a_posted_home_city(client, world, sign_in):
    sign_in("expert_sh")
    response = client.post("/expert/profile", data={
        "languages": ["zh", "en"], "max_concurrent": "4", "max_travel_km": "",
        "email": "zhang.wei@example.cn", "phone": world.sh_expert.phone,
        "home_city": "hefei", "status": "retired"})
    assert response.status_code == 302
    db.session.expire_all()
    expert = db.session.get(Expert, world.sh_expert.id)
    assert expert.language_codes == ["en", "zh"] and expert.max_concurrent == 4
    assert expert.email == "zhang.wei@example.cn"
    assert (expert.home_city_code, expert.status.value) == ("shanghai", "active")


def test_the_profile_needs_at_least_one_language(client, world, sign_in):
    sign_in("expert_sh")
    response = client.post("/expert/profile", data={"max_concurrent": "3"})
    assert response.status_code == 422
    assert "请至少选择一种语言" in html_of(response).split('id="languages-error"')[1]
    db.session.expire_all()
    assert db.session.get(Expert, world.sh_expert.id).language_codes == ["zh"]


def test_an_emptied_workload_cap_is_an_error_not_left_as_it_was(client, world, sign_in):
    sign_in("expert_sh")
    response = client.post("/expert/profile", data={
        "languages": ["zh", "en"], "max_concurrent": " ", "email": "new@example.cn"})
    assert response.status_code == 422
    assert 'id="max_concurrent-error"' in html_of(response)
    db.session.expire_all()
    expert = db.session.get(Expert, world.sh_expert.id)
    assert expert.language_codes == ["zh"] and expert.email != "new@example.cn"  # nothing


def test_the_profile_says_who_changes_the_rest(client, world, sign_in):
    sign_in("expert_sh")
    html = html_of(client.get("/expert/profile", headers={"Accept-Language": "en"}))
    assert "G06F" in html and "kept by your coordinator" in html
    assert 'name="home_city"' not in html and 'name="languages"' in html


# -- templates never query -----------------------------------------------------------------------

def test_the_pages_load_everything_before_rendering(app, client, world, make, sign_in):
    firm, company = make.organization(name="乙律师事务所"), make.organization(name="甲公司")
    world.sh_case.parties.append(Party(organization=company, role="plaintiff", counsel=firm))
    expert = world.sh_expert
    expert.affiliations.append(Affiliation(organization=company, role="顾问"))
    expert.conflicts.append(DeclaredConflict(organization=firm, reason="亲属"))
    expert.unavailability.append(Unavailability(start=date(2025, 3, 5), end=date(2025, 3, 6)))
    set_status(world.proposal, AssignmentStatus.CONFIRMED)
    sign_in("expert_sh")
    with statements_while_rendering(app) as seen:
        # The profile twice: the first visit makes the feed token and commits (expiring rows).
        for url in ("/expert/", "/expert/calendar?month=2025-03", "/expert/declarations",
                    "/expert/profile", "/expert/profile",
                    f"/expert/assignments/{world.proposal.id}/decline",
                    f"/expert/declarations/affiliations/{expert.affiliations[0].id}/end"):
            assert client.get(url).status_code == 200, url
        # Forms sent back after a rollback, which expires every row the session held.
        for url, data in (("/expert/calendar", {"start": "2025-03-06", "end": "2025-03-01"}),
                          (f"/expert/assignments/{world.proposal.id}/decline", {"reason": ""}),
                          ("/expert/profile", {"max_concurrent": "0"})):
            assert client.post(url, data=data).status_code == 422, url
    assert seen == []


def test_a_year_the_calendar_cannot_show_is_refused(client, world, sign_in):
    sign_in("expert_sh")
    response = client.post("/expert/calendar", data={"start": "0001-01-01",
                                                     "end": "0001-01-02"})
    assert response.status_code == 422
    assert 'id="start-error"' in response.get_data(as_text=True)


def test_the_decline_page_can_recuse_from_the_whole_case(client, world, sign_in):
    from registry.services import exclusions

    set_status(world.proposal, AssignmentStatus.CONFIRMED)
    sign_in("expert_sh")
    decline_url = f"/expert/assignments/{world.proposal.id}/decline"
    page = html_of(client.get(decline_url))
    assert 'name="whole_case"' in page
    answer = client.post(decline_url, data={"version": shown_version(page),
                                            "reason": "与原告有亲属关系", "whole_case": "true"})
    assert answer.status_code == 302
    assert exclusions.case_bar(world.sh_case, world.sh_expert.id) == "self_recusal"
