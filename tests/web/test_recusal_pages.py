"""The recusal lifecycle in the browser pages: the clerk records and decides a challenge and
serves the parties' notice; the expert recuses from a case (docs/recusal.md)."""

from datetime import date, timedelta

import pytest

from registry.extensions import db
from registry.models import (
    Assignment,
    AssignmentStatus,
    Challenge,
    ChallengeStatus,
    ExclusionReason,
    PartiesNotice,
)
from registry.services import exclusions
from registry.services import recusals as service
from tests.web.test_templates_never_query import statements_while_rendering

REASON = "与被告法定代表人系同学关系"


@pytest.fixture
def case(make, world):
    plaintiff = make.organization(name="原告甲科技有限公司")
    case = make.case(body=world.sh_court, parties=[plaintiff], number="（2026）沪73知民初675号")
    request = make.request(case=case, days=[(date(2027, 3, 1), date(2027, 3, 2))])
    db.session.add(Assignment(request=request, expert=world.sh_expert, reasons=["x"]))
    request.status = "proposed"
    db.session.commit()
    return case


def today() -> str:
    return service.local_today().isoformat()


def record_form(case, world, **overrides):
    return {"expert_id": str(world.sh_expert.id), "party_id": str(case.parties[0].id),
            "applied_on": today(), "grounds": "与原告存在合作关系"} | overrides


def test_the_clerk_records_a_challenge_from_the_case_page(client, world, sign_in, case):
    sign_in("clerk_sh")
    page = client.get(f"/clerk/cases/{case.id}").get_data(as_text=True)
    assert 'id="recusals"' in page and f"/clerk/cases/{case.id}/challenges/new" in page
    response = client.post(f"/clerk/cases/{case.id}/challenges/new",
                           data=record_form(case, world))
    assert response.status_code == 302
    challenge = db.session.query(Challenge).one()
    assert challenge.status is ChallengeStatus.PENDING
    page = client.get(f"/clerk/cases/{case.id}").get_data(as_text=True)
    assert f'id="challenge-{challenge.id}"' in page
    assert f"/challenges/{challenge.id}/decision" in page


def test_a_bad_challenge_form_keeps_the_values_and_marks_the_field(client, world, sign_in,
                                                                    case):
    sign_in("clerk_sh")
    response = client.post(f"/clerk/cases/{case.id}/challenges/new",
                           data=record_form(case, world, grounds=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="grounds-error"' in page and today() in page
    assert db.session.query(Challenge).count() == 0


def test_another_body_clerk_cannot_open_the_challenge_form(client, world, sign_in, case):
    sign_in("clerk_gd")
    assert client.get(f"/clerk/cases/{case.id}/challenges/new").status_code == 404


def test_the_clerk_records_the_decision_with_who_decided(client, world, sign_in, case):
    challenge = service.record_challenge(case, {
        "expert_id": world.sh_expert.id, "party_id": case.parties[0].id,
        "applied_on": service.local_today(), "grounds": "x"}, world.users["clerk_sh"])
    db.session.commit()
    sign_in("clerk_sh")
    url = f"/clerk/cases/{case.id}/challenges/{challenge.id}/decision"
    assert client.get(url).status_code == 200
    response = client.post(url, data={
        "outcome": "upheld", "decided_on": today(), "decider_name": "王审判长",
        "decider_role": "presiding_judge", "reason": "申请成立", "version": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    decided = db.session.get(Challenge, challenge.id)
    assert (decided.status, decided.decider_name) == (ChallengeStatus.UPHELD, "王审判长")
    assert db.session.query(Assignment).filter_by(
        expert_id=world.sh_expert.id, status=AssignmentStatus.CANCELLED).count() == 1


def test_the_printed_notice_names_the_investigator_but_not_its_contacts(
        client, world, sign_in, case):
    assignment = db.session.query(Assignment).filter_by(expert_id=world.sh_expert.id).filter(
        Assignment.request.has(case_id=case.id)).one()
    notice = PartiesNotice.due_for(assignment, date(2026, 12, 1))
    db.session.add(notice)
    db.session.commit()
    sign_in("clerk_sh")
    response = client.get(f"/clerk/cases/{case.id}/notices/{notice.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert case.number in page and world.sh_expert.name in page and "原告甲科技有限公司" in page
    assert "申请其回避" in page and "2026年12月4日" in page and "notice.css" in page
    assert world.sh_expert.email not in page and world.sh_expert.phone not in page


def test_an_overdue_notice_shows_and_can_be_marked_served(client, world, sign_in, case):
    assignment = db.session.query(Assignment).filter(Assignment.request.has(case_id=case.id)).one()
    assignment.status = AssignmentStatus.CONFIRMED
    notice = PartiesNotice.due_for(assignment, service.local_today() - timedelta(days=5))
    db.session.add(notice)
    db.session.commit()
    sign_in("clerk_sh")
    page = client.get(f"/clerk/cases/{case.id}").get_data(as_text=True)
    assert "status-declined" in page and f"/notices/{notice.id}/served" in page
    response = client.post(f"/clerk/cases/{case.id}/notices/{notice.id}/served",
                           data={"served_on": today(), "served_how": "直接送达"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(PartiesNotice, notice.id).served_by_id == world.users["clerk_sh"].id


def test_the_case_page_renders_the_recusal_section_without_queries(
        app, client, world, sign_in, case):
    service.record_challenge(case, {
        "expert_id": world.sh_expert.id, "party_id": case.parties[0].id,
        "applied_on": service.local_today(), "grounds": "x"}, world.users["clerk_sh"])
    assignment = db.session.query(Assignment).filter(Assignment.request.has(case_id=case.id)).one()
    db.session.add(PartiesNotice.due_for(assignment, service.local_today()))
    db.session.commit()
    sign_in("clerk_sh")
    with statements_while_rendering(app) as seen:
        response = client.get(f"/clerk/cases/{case.id}")
    assert response.status_code == 200
    assert seen == []


def test_the_expert_turns_a_decline_into_a_recusal(client, world, sign_in, case, as_):
    assignment = db.session.query(Assignment).filter(Assignment.request.has(case_id=case.id)).one()
    client.post(f"/api/v1/assignments/{assignment.id}/confirm", headers=as_("coordinator_yrd"))
    client.post(f"/api/v1/assignments/{assignment.id}/decline", json={"reason": REASON},
                headers=as_("expert_sh"))
    sign_in("expert_sh")
    listing = client.get("/expert/").get_data(as_text=True)
    url = f"/expert/cases/{case.id}/recuse?assignment={assignment.id}"
    assert url.replace("&", "&amp;") in listing or url in listing
    form = client.get(url)
    assert form.status_code == 200 and REASON in form.get_data(as_text=True)
    assert client.post(url, data={"reason": REASON}).status_code == 302
    db.session.expire_all()
    request = db.session.get(Assignment, assignment.id).request
    assert [e.reason for e in request.exclusions] == [ExclusionReason.RECUSAL]
    assert world.sh_expert.id in exclusions.excluded_experts([request])[request.id]


def test_an_expert_cannot_open_the_recusal_of_a_case_it_never_met(client, world, sign_in, make):
    stranger = make.case(body=world.sh_court, number="（2026）沪73知民初9号")
    make.request(case=stranger)
    db.session.commit()
    sign_in("expert_sh")
    assert client.get(f"/expert/cases/{stranger.id}/recuse").status_code == 404


def test_a_blank_recusal_reason_is_marked(client, world, sign_in, case):
    sign_in("expert_sh")
    response = client.post(f"/expert/cases/{case.id}/recuse", data={"reason": " "})
    assert response.status_code == 422 and 'id="reason-error"' in response.get_data(as_text=True)
