"""Dispatch requests: filing, seat rules, cancelling, and exclusions."""

from datetime import UTC, date, datetime, timedelta

import pytest

from registry.extensions import db
from registry.models import (
    Assignment,
    AssignmentStatus,
    DispatchRequest,
    Exclusion,
    ExclusionReason,
    RequestStatus,
)
from tests.statements import recording_statements


def new_request(case_id, **overrides):
    body = {"case_id": case_id, "role": "investigator", "service": "on_site_inspection",
            "days": [{"start": "2025-04-01", "end": "2025-04-02"}], "priority": 5,
            "language": "zh"}
    body.update(overrides)
    return body


def test_clerk_requests_an_investigator_for_its_case(client, world, as_):
    response = client.post("/api/v1/requests", headers=as_("clerk_sh"),
                           json=new_request(world.sh_case.id))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "submitted" and body["seats"] == 1
    assert body["city"] == "shanghai"  # the court's city by default
    assert body["case_number"] == world.sh_case.number


def test_a_tribunal_takes_one_or_three_arbitrators(client, world, as_):
    for seats, status in ((3, 201), (1, 201), (2, 422)):
        response = client.post("/api/v1/requests", headers=as_("clerk_gd"), json=new_request(
            world.gd_case.id, role="arbitrator", service="arbitration", seats=seats, days=[]))
        assert response.status_code == status, seats
    assert "seats" in response.get_json()["errors"]["json"]


def test_an_investigator_request_has_one_seat(client, world, as_):
    response = client.post("/api/v1/requests", headers=as_("clerk_sh"),
                           json=new_request(world.sh_case.id, seats=3))
    assert response.status_code == 422
    assert "seats" in response.get_json()["errors"]["json"]


@pytest.mark.parametrize(("change", "field"), [
    ({"priority": 6}, "priority"), ({"priority": 0}, "priority"), ({"seats": 0}, "seats"),
    ({"service": "lunch"}, "service"), ({"role": "judge"}, "role"),
    ({"days": [{"start": "2025-04-03", "end": "2025-04-01"}]}, "days"),
    ({"days": [{"start": "2025-13-01", "end": "2025-04-01"}]}, "days"),
    ({"case_id": 999}, "case_id"), ({"city": "atlantis"}, "city"),
    ({"language": "Chinese"}, "language"),
    ({"days": [{"start": "2025-04-01", "end": "2025-04-03"},
               {"start": "2025-04-03", "end": "2025-04-04"}]}, "days"),
    ({"exclusions": [{"expert_id": 999, "reason": "challenge"}]}, "expert_id"),
])
def test_invalid_request_is_refused_naming_the_field_and_nothing_is_written(
        client, world, as_, change, field):
    before = db.session.query(DispatchRequest).count()
    response = client.post("/api/v1/requests", headers=as_("clerk_sh"),
                           json=new_request(world.sh_case.id) | change)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["json"]
    assert db.session.query(DispatchRequest).count() == before


def test_cancelling_cancels_open_assignments_and_cannot_be_repeated(client, world, as_):
    url = f"/api/v1/requests/{world.sh_request.id}/cancel"
    response = client.post(url, headers=as_("clerk_sh"))
    assert response.get_json()["status"] == "cancelled"
    assert db.session.get(Assignment, world.proposal.id).status is AssignmentStatus.CANCELLED
    again = client.post(url, headers=as_("clerk_sh"))
    assert again.status_code == 409
    assert "cancelled" in again.get_json()["message"]


def test_an_upheld_challenge_excludes_the_expert_and_withdraws_its_proposal(client, world, as_):
    response = client.post(f"/api/v1/requests/{world.sh_request.id}/exclusions",
                           headers=as_("clerk_sh"),
                           json={"expert_id": world.sh_expert.id, "reason": "challenge",
                                 "note": "申请回避：曾任原告顾问"})
    assert response.status_code == 201
    assert db.session.get(Assignment, world.proposal.id).status is AssignmentStatus.CANCELLED
    assert db.session.get(DispatchRequest, world.sh_request.id).status.value == "submitted"
    twice = client.post(f"/api/v1/requests/{world.sh_request.id}/exclusions",
                        headers=as_("clerk_sh"),
                        json={"expert_id": world.sh_expert.id, "reason": "recusal"})
    assert twice.status_code == 422
    assert db.session.query(Exclusion).count() == 1


def test_an_earlier_role_in_the_case_bars_the_expert_from_that_case_only(client, world, as_):
    """CPL Interp. Art. 43(3): a witness, appraiser, agent or translator of the case may not
    serve on it (rule prior_role_in_case), at any of its requests; other cases are untouched."""
    from registry.services import exclusions

    response = exclude(client, as_("clerk_sh"), world.sh_request.id, world.sh_expert.id,
                       "prior_role")
    assert response.status_code == 201, response.get_json()
    assert db.session.get(Assignment, world.proposal.id).status is AssignmentStatus.CANCELLED
    assert exclusions.case_bar(world.sh_case, world.sh_expert.id) == "prior_role_in_case"
    assert world.sh_expert.id in exclusions.excluded_experts([world.sh_request])[
        world.sh_request.id]
    assert world.sh_expert.id not in exclusions.excluded_experts([world.gd_request])[
        world.gd_request.id]


def test_a_clerk_cannot_name_an_expert_its_case_never_met_as_a_prior_role(client, world, as_):
    response = exclude(client, as_("clerk_sh"), world.sh_request.id, world.gd_expert.id,
                       "prior_role")
    assert response.status_code == 422
    assert db.session.query(Exclusion).count() == 0


def test_clerk_sees_assigned_experts_by_name_and_fields_only(client, world, as_):
    body = client.get(f"/api/v1/requests/{world.sh_request.id}",
                      headers=as_("clerk_sh")).get_json()
    assert body["assignments"] == [{"id": world.proposal.id, "status": "proposed",
                                    "expert_id": world.sh_expert.id, "expert_name": "张伟",
                                    "expert_fields": {"G06F": 3}}]


def test_request_list_filters_by_status(client, world, as_):
    listed = client.get("/api/v1/requests", headers=as_("admin"),
                        query_string={"status": "proposed"}).get_json()
    assert [r["id"] for r in listed["items"]] == [world.sh_request.id]
    bad = client.get("/api/v1/requests", headers=as_("admin"),
                     query_string={"status": "lost"})
    assert bad.status_code == 422


def exclude(client, headers, request_id, expert_id, reason):
    return client.post(f"/api/v1/requests/{request_id}/exclusions", headers=headers,
                       json={"expert_id": expert_id, "reason": reason})


@pytest.mark.parametrize("stage", ["confirmed", "accepted"])
def test_a_challenge_upheld_after_confirmation_removes_the_expert_and_reopens_the_seat(
        client, world, as_, stage):
    base = f"/api/v1/assignments/{world.proposal.id}"
    client.post(f"{base}/confirm", headers=as_("coordinator_yrd"))
    if stage == "accepted":
        client.post(f"{base}/accept", headers=as_("expert_sh"))
    response = exclude(client, as_("clerk_sh"), world.sh_request.id, world.sh_expert.id,
                       "challenge")
    assert response.status_code == 201, response.get_json()
    db.session.expire_all()
    assert db.session.get(Assignment, world.proposal.id).status is AssignmentStatus.CANCELLED
    assert db.session.get(DispatchRequest, world.sh_request.id).status.value == "submitted"


def test_a_challenge_bars_the_expert_from_every_request_of_the_case(client, world, as_, make):
    sibling = make.request(case=world.sh_case, days=[(date(2027, 5, 3), date(2027, 5, 4))])
    other_proposal = Assignment(request=sibling, expert=world.sh_expert)
    db.session.add(other_proposal)
    sibling.status = RequestStatus.PROPOSED
    db.session.commit()
    exclude(client, as_("clerk_sh"), world.sh_request.id, world.sh_expert.id, "challenge")
    db.session.expire_all()
    assert db.session.get(Assignment, other_proposal.id).status is AssignmentStatus.CANCELLED
    assert db.session.get(DispatchRequest, sibling.id).status is RequestStatus.SUBMITTED


def test_after_a_decline_the_clerk_cannot_name_the_expert_but_the_coordinator_bars_it(
        client, world, as_):
    """A declined proposal gives the clerk no standing: naming the expert answers as for one
    the case never met (no probing who declined). The coordinator, who sees every proposal,
    may still bar it from the whole case."""
    base = f"/api/v1/assignments/{world.proposal.id}"
    client.post(f"{base}/confirm", headers=as_("coordinator_yrd"))
    client.post(f"{base}/decline", headers=as_("expert_sh"), json={"reason": "away"})
    declined = exclude(client, as_("clerk_sh"), world.sh_request.id, world.sh_expert.id,
                       "challenge")
    never_met = exclude(client, as_("clerk_sh"), world.sh_request.id, world.js_expert.id,
                        "challenge")
    assert declined.status_code == never_met.status_code == 422
    assert declined.get_json()["message"].replace(str(world.sh_expert.id), "N") == \
        never_met.get_json()["message"].replace(str(world.js_expert.id), "N")
    barred = exclude(client, as_("coordinator_yrd"), world.sh_request.id, world.sh_expert.id,
                     "challenge")
    assert barred.status_code == 201
    assert ExclusionReason.CHALLENGE in {e.reason for e in db.session.query(Exclusion)}


def test_completing_accepted_work_ends_the_experts_seat(client, world, as_):
    base = f"/api/v1/assignments/{world.proposal.id}"
    early = client.post(f"/api/v1/requests/{world.sh_request.id}/complete",
                        headers=as_("clerk_sh"))
    assert early.status_code == 409  # nothing accepted yet
    client.post(f"{base}/confirm", headers=as_("coordinator_yrd"))
    client.post(f"{base}/accept", headers=as_("expert_sh"))
    done = client.post(f"/api/v1/requests/{world.sh_request.id}/complete",
                       headers=as_("clerk_sh"))
    assert done.get_json()["status"] == "completed"
    assert db.session.get(Assignment, world.proposal.id).status is AssignmentStatus.COMPLETED


def test_a_request_or_a_page_of_them_reads_neither_case_fields_nor_seat_flags(
        client, world, as_):
    # Not in a request's JSON, and both loaded with their rows by default.
    for path in ("/api/v1/requests", f"/api/v1/requests/{world.sh_request.id}"):
        with recording_statements() as seen:
            answer = client.get(path, headers=as_("admin"))
        assert answer.status_code == 200
        body = answer.get_json()
        assert any(item["assignments"] for item in body.get("items", [body])), path
        reads = [s for s in seen if "FROM case_field" in s or "assignment_flag" in s]
        assert not reads, path


@pytest.mark.parametrize("service, urgent, accepted", [
    ("hearing", False, False), ("on_site_inspection", False, False),
    ("evidence_preservation", False, False), ("evidence_preservation", True, True),
    ("written_opinion", False, True), ("consultation", False, True)])
def test_attended_services_need_their_days(client, world, as_, service, urgent, accepted):
    body = {"case_id": world.sh_case.id, "role": "investigator", "service": service}
    if urgent:
        body |= {"urgent": True, "needed_by": (datetime.now(UTC) + timedelta(hours=24))
                 .isoformat()}
    answer = client.post("/api/v1/requests", json=body, headers=as_("clerk_sh"))
    assert answer.status_code == (201 if accepted else 422), answer.get_json()
    if not accepted:
        assert "days" in answer.get_json()["errors"]["json"]
