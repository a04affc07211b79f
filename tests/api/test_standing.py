"""Standing: a court and an expert know of each other only through an assignment that stands
(proposed, confirmed, accepted, completed). Another body's rows answer exactly as missing
ones do; moves sent from a stale read change nothing; every end of a seat is in the log."""

import json as jsonlib

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import (
    Assignment,
    AssignmentStatus,
    AuditEvent,
    DispatchRequest,
    Party,
    RequestStatus,
)

MISSING = 999_999  # no row has this id
CONTACTS = ("email", "phone")


def get(client, as_, user, url):
    return client.get(url, headers=as_(user))


def post(client, as_, user, url, json=None):
    return client.post(url, headers=as_(user), json=json)


def found_by(client, as_, user, **filters) -> dict[str, dict]:
    response = client.get("/api/v1/experts", headers=as_(user), query_string=filters)
    assert response.status_code == 200, response.get_json()
    return {e["name"]: e for e in response.get_json()["items"]}


def events(action: str, entity_id: int | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action,
                                     AuditEvent.entity == "assignment")
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == str(entity_id))
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def version_of(client, as_, assignment_id: int) -> int:
    return get(client, as_, "admin", f"/api/v1/assignments/{assignment_id}").get_json()["version"]


def confirmed(client, as_, assignment_id: int) -> None:
    response = post(client, as_, "coordinator_sh", f"/api/v1/assignments/{assignment_id}/confirm")
    assert response.status_code == 200, response.get_json()


# -- a clerk's sight of experts ------------------------------------------------------------------

def test_a_clerk_finds_exactly_the_experts_standing_on_its_bodys_requests(
        client, world, as_, make):
    # 陈志明 stands on the Shenzhen body's request; 李娜 stands nowhere; 张伟 on Shanghai's.
    db.session.add(Assignment(request=world.gd_request, expert=world.gd_expert))
    db.session.commit()
    assert set(found_by(client, as_, "clerk_sh")) == {"张伟"}
    assert set(found_by(client, as_, "clerk_gd")) == {"陈志明"}
    # Filters narrow the clerk's scope, never widen it.
    assert set(found_by(client, as_, "clerk_sh", city="nanjing")) == set()
    assert set(found_by(client, as_, "clerk_sh", field="G06F")) == {"张伟"}


@pytest.mark.parametrize("status", ["proposed", "confirmed", "accepted", "completed"])
def test_every_standing_status_shows_the_expert_to_the_clerk(client, world, as_, status):
    world.proposal.status = AssignmentStatus(status)
    db.session.commit()
    assert set(found_by(client, as_, "clerk_sh")) == {"张伟"}
    assert get(client, as_, "clerk_sh",
               f"/api/v1/experts/{world.sh_expert.id}").status_code == 200


def test_a_clerk_never_sees_an_experts_contacts(client, world, as_):
    listed = found_by(client, as_, "clerk_sh")["张伟"]
    read = get(client, as_, "clerk_sh", f"/api/v1/experts/{world.sh_expert.id}").get_json()
    for shown in (listed, read):
        assert shown["fields"] and shown["name"] == "张伟"
        assert not set(CONTACTS) & set(shown), shown
    text = jsonlib.dumps([listed, read], ensure_ascii=False)
    assert world.sh_expert.email not in text and world.sh_expert.phone not in text
    # Those who keep the record current still see them.
    assert found_by(client, as_, "coordinator_sh")["张伟"]["email"] == world.sh_expert.email


def withdraw_by_hand_pick(client, as_, world):
    """The coordinator picks another expert by hand: the one-seat proposal is crowded out."""
    response = post(client, as_, "coordinator_sh", "/api/v1/assignments", json={
        "request_id": world.sh_request.id, "expert_id": world.js_expert.id, "note": "近"})
    assert response.status_code == 201, response.get_json()


def cancel_the_request(client, as_, world):
    response = post(client, as_, "clerk_sh", f"/api/v1/requests/{world.sh_request.id}/cancel")
    assert response.status_code == 200, response.get_json()


DECLINE_REASON = "家中老人住院，无法出庭"


def decline_it(client, as_, world):
    confirmed(client, as_, world.proposal.id)
    response = post(client, as_, "expert_sh", f"/api/v1/assignments/{world.proposal.id}/decline",
                    json={"reason": DECLINE_REASON})
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("end_the_proposal", [withdraw_by_hand_pick, cancel_the_request,
                                              decline_it])
def test_a_proposal_that_no_longer_stands_hides_the_expert_from_the_clerk(
        client, world, as_, end_the_proposal):
    expert_url = f"/api/v1/experts/{world.sh_expert.id}"
    request_url = f"/api/v1/requests/{world.sh_request.id}"
    end_the_proposal(client, as_, world)

    assert "张伟" not in found_by(client, as_, "clerk_sh")
    unseen = get(client, as_, "clerk_sh", expert_url)
    assert unseen.status_code == 404
    assert unseen.get_json() == as_missing(get(client, as_, "clerk_sh",
                                               f"/api/v1/experts/{MISSING}"),
                                           world.sh_expert.id)
    # The request still is the clerk's: it no longer names the expert, nor why it declined.
    as_clerk = get(client, as_, "clerk_sh", request_url).get_json()
    listed = [r for r in get(client, as_, "clerk_sh", "/api/v1/requests").get_json()["items"]
              if r["id"] == world.sh_request.id]
    for seen in (as_clerk, *listed):
        assert world.sh_expert.id not in [a["expert_id"] for a in seen["assignments"]]
        assert all(e["reason"] != "declined" for e in seen["exclusions"])
        assert DECLINE_REASON not in jsonlib.dumps(seen, ensure_ascii=False)
    # A coordinator of the region still sees all of it.
    assert "张伟" in found_by(client, as_, "coordinator_sh")
    assert get(client, as_, "coordinator_sh", expert_url).status_code == 200
    as_coordinator = get(client, as_, "coordinator_sh", request_url).get_json()
    assert world.sh_expert.id in [a["expert_id"] for a in as_coordinator["assignments"]]
    if end_the_proposal is decline_it:
        assert [(e["expert_id"], e["reason"], e["note"]) for e in as_coordinator["exclusions"]] \
            == [(world.sh_expert.id, "declined", DECLINE_REASON)]


@pytest.mark.parametrize("end_the_proposal", [withdraw_by_hand_pick, decline_it])
def test_cancelling_answers_the_clerk_with_no_more_than_reading_shows(
        client, world, as_, end_the_proposal):
    end_the_proposal(client, as_, world)
    answer = client.post(f"/api/v1/requests/{world.sh_request.id}/cancel",
                         headers=as_("clerk_sh"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["status"] == "cancelled"
    assert world.sh_expert.id not in [a["expert_id"] for a in body["assignments"]]
    assert all(e["reason"] != "declined" for e in body["exclusions"])
    assert DECLINE_REASON not in jsonlib.dumps(body, ensure_ascii=False)


def test_a_clerk_sees_the_exclusions_its_body_records(client, world, as_):
    """Only an expert's own decline is withheld; an upheld challenge is the court's record."""
    confirmed(client, as_, world.proposal.id)
    response = post(client, as_, "clerk_sh", f"/api/v1/requests/{world.sh_request.id}/exclusions",
                    json={"expert_id": world.sh_expert.id, "reason": "challenge",
                          "note": "原告申请回避"})
    assert response.status_code == 201, response.get_json()
    seen = get(client, as_, "clerk_sh", f"/api/v1/requests/{world.sh_request.id}").get_json()
    assert [(e["expert_id"], e["reason"]) for e in seen["exclusions"]] == \
        [(world.sh_expert.id, "challenge")]
    assert seen["assignments"] == []  # the challenge ended its seat


def test_an_expert_sees_neither_who_else_stands_nor_the_exclusions(client, world, as_):
    seen = get(client, as_, "expert_sh", f"/api/v1/requests/{world.sh_request.id}").get_json()
    assert "assignments" not in seen and "exclusions" not in seen


# -- another body's ids reveal nothing -----------------------------------------------------------

def as_missing(response, real_id: int) -> dict:
    """A missing row's answer, as it would read with the real row's id in it."""
    body = response.get_json()
    assert response.status_code == 404, body
    return jsonlib.loads(jsonlib.dumps(body).replace(str(MISSING), str(real_id)))


def hidden_urls(world, gd_assignment) -> list[tuple[str, str, dict | None, int]]:
    """(method, url with {id}, body, real id) of the Shenzhen body's rows."""
    return [
        ("GET", "/api/v1/cases/{id}", None, world.gd_case.id),
        ("GET", "/api/v1/requests/{id}", None, world.gd_request.id),
        ("POST", "/api/v1/requests/{id}/cancel", None, world.gd_request.id),
        ("POST", "/api/v1/requests/{id}/complete", None, world.gd_request.id),
        ("POST", "/api/v1/requests/{id}/exclusions",
         {"expert_id": world.gd_expert.id, "reason": "challenge"}, world.gd_request.id),
        ("GET", "/api/v1/assignments/{id}", None, gd_assignment.id),
        ("POST", "/api/v1/assignments/{id}/confirm", None, gd_assignment.id),
        ("POST", "/api/v1/assignments/{id}/accept", None, gd_assignment.id),
        ("POST", "/api/v1/assignments/{id}/decline", {"reason": "出差"}, gd_assignment.id),
        ("GET", "/api/v1/experts/{id}", None, world.gd_expert.id),
        ("PATCH", "/api/v1/experts/{id}", {"max_concurrent": 1}, world.gd_expert.id),
        ("GET", "/api/v1/experts/{id}/unavailability", None, world.gd_expert.id),
        ("POST", "/api/v1/experts/{id}/conflicts", {"organization_id": world.sh_court.id},
         world.gd_expert.id),
    ]


@pytest.mark.parametrize("user", ["clerk_sh", "coordinator_sh", "expert_sh"])
def test_another_bodys_ids_answer_as_missing_ones_and_change_nothing(client, world, as_, user):
    gd_assignment = Assignment(request=world.gd_request, expert=world.gd_expert)
    db.session.add(gd_assignment)
    db.session.commit()
    before = (get(client, as_, "admin", f"/api/v1/requests/{world.gd_request.id}").get_json(),
              get(client, as_, "admin", f"/api/v1/experts/{world.gd_expert.id}").get_json())
    for method, url, body, real_id in hidden_urls(world, gd_assignment):
        hidden = client.open(url.format(id=real_id), method=method, headers=as_(user), json=body)
        missing = client.open(url.format(id=MISSING), method=method, headers=as_(user),
                              json=body)
        assert hidden.status_code == 404, (user, method, url, hidden.get_json())
        assert hidden.get_json() == as_missing(missing, real_id), (user, method, url)
    after = (get(client, as_, "admin", f"/api/v1/requests/{world.gd_request.id}").get_json(),
             get(client, as_, "admin", f"/api/v1/experts/{world.gd_expert.id}").get_json())
    assert after == before
    assert events("confirm") == events("accept") == events("decline") == []


def test_a_hand_pick_on_another_regions_request_answers_as_a_missing_request(
        client, world, as_):
    body = {"expert_id": world.gd_expert.id, "note": "x"}
    hidden = post(client, as_, "coordinator_gba", "/api/v1/assignments",
                  json=dict(body, request_id=world.sh_request.id))
    missing = post(client, as_, "coordinator_gba", "/api/v1/assignments",
                   json=dict(body, request_id=MISSING))
    assert hidden.get_json() == as_missing(missing, world.sh_request.id)


def test_a_request_on_another_bodys_case_answers_as_on_a_missing_case(client, world, as_):
    body = {"role": "arbitrator", "seats": 1, "service": "arbitration"}
    hidden = post(client, as_, "clerk_sh", "/api/v1/requests",
                  json=dict(body, case_id=world.gd_case.id))
    missing = post(client, as_, "clerk_sh", "/api/v1/requests", json=dict(body, case_id=MISSING))
    assert hidden.status_code == missing.status_code
    assert jsonlib.dumps(hidden.get_json()) == \
        jsonlib.dumps(missing.get_json()).replace(str(MISSING), str(world.gd_case.id))


# -- moves from a stale read ---------------------------------------------------------------------

def refused_as_stale(response, assignment_id: int) -> None:
    assert response.status_code == 409, response.get_json()
    assert f"assignment {assignment_id}" in response.get_json()["message"]


def test_a_confirm_from_a_stale_read_is_refused_and_a_current_one_goes_through(
        client, world, as_):
    url = f"/api/v1/assignments/{world.proposal.id}"
    seen = get(client, as_, "coordinator_sh", url).get_json()["version"]
    world.proposal.reasons = ["the solver's reasons, rewritten since"]  # another writer
    db.session.commit()
    refused_as_stale(post(client, as_, "coordinator_sh", f"{url}/confirm",
                          json={"version": seen}), world.proposal.id)
    assert get(client, as_, "admin", url).get_json()["status"] == "proposed"
    assert events("confirm") == []
    current = get(client, as_, "coordinator_sh", url).get_json()["version"]
    done = post(client, as_, "coordinator_sh", f"{url}/confirm", json={"version": current})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "confirmed" and done.get_json()["version"] > current


def test_of_an_accept_and_a_decline_sent_from_one_read_only_the_first_goes_through(
        client, world, as_):
    """Two tabs: both read the confirmed work; one accepts, then the other declines."""
    confirmed(client, as_, world.proposal.id)
    url = f"/api/v1/assignments/{world.proposal.id}"
    seen = get(client, as_, "expert_sh", url).get_json()["version"]
    accepted = post(client, as_, "expert_sh", f"{url}/accept", json={"version": seen})
    assert accepted.status_code == 200, accepted.get_json()
    refused_as_stale(post(client, as_, "expert_sh", f"{url}/decline",
                          json={"version": seen, "reason": "出差"}), world.proposal.id)
    after = get(client, as_, "admin", url).get_json()
    assert (after["status"], after["decline_reason"]) == ("accepted", "")
    assert after["version"] == accepted.get_json()["version"]
    assert events("decline") == []
    assert db.session.get(DispatchRequest, world.sh_request.id).exclusions == []
    # Sent again from what it now shows, the decline is the expert's informed choice.
    declined = post(client, as_, "expert_sh", f"{url}/decline",
                    json={"version": after["version"], "reason": "出差"})
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"


def test_an_accept_from_a_stale_read_is_refused(client, world, as_):
    confirmed(client, as_, world.proposal.id)
    url = f"/api/v1/assignments/{world.proposal.id}"
    seen = version_of(client, as_, world.proposal.id)
    world.proposal.reasons = ["rewritten since"]
    db.session.commit()
    refused_as_stale(post(client, as_, "expert_sh", f"{url}/accept", json={"version": seen}),
                     world.proposal.id)
    assert get(client, as_, "admin", url).get_json()["status"] == "confirmed"
    assert events("accept") == []


@pytest.mark.parametrize("version", [0, -1, "v1", 2**40])
def test_a_version_that_names_no_version_is_refused(client, world, as_, version):
    url = f"/api/v1/assignments/{world.proposal.id}/confirm"
    response = post(client, as_, "coordinator_sh", url, json={"version": version})
    assert response.status_code == 422
    assert get(client, as_, "admin", f"/api/v1/assignments/{world.proposal.id}"
               ).get_json()["status"] == "proposed"


# -- each end of a seat is an event of its own ---------------------------------------------------

def test_a_hand_pick_is_its_own_action_and_withdraws_the_proposal_it_crowds_out(
        client, world, as_):
    withdraw_by_hand_pick(client, as_, world)
    picked = db.session.scalars(select(Assignment).where(
        Assignment.expert_id == world.js_expert.id)).one()
    assert [(e.entity_id, e.after["status"]) for e in events("hand_pick")] == \
        [(str(picked.id), "confirmed")]
    assert events("confirm") == []
    [crowded_out] = events("withdraw")
    assert crowded_out.entity_id == str(world.proposal.id)
    assert (crowded_out.before["status"], crowded_out.after["status"],
            crowded_out.after["because"]) == ("proposed", "withdrawn", "crowded_out")


def test_cancelling_a_request_ends_each_open_seat_with_an_event(client, world, as_, make):
    colleague = make.expert(name="黄磊", city="shenzhen", roles=("arbitrator",))
    third = make.expert(name="周敏", city="shenzhen", roles=("arbitrator",))
    open_seats = [Assignment(request=world.gd_request, expert=world.gd_expert),
                  Assignment(request=world.gd_request, expert=colleague,
                             status=AssignmentStatus.CONFIRMED)]
    declined = Assignment(request=world.gd_request, expert=third,
                          status=AssignmentStatus.DECLINED, decline_reason="出差")
    db.session.add_all([*open_seats, declined])
    db.session.commit()
    response = post(client, as_, "clerk_gd", f"/api/v1/requests/{world.gd_request.id}/cancel")
    assert response.status_code == 200, response.get_json()
    cancels = events("cancel")
    assert sorted(int(e.entity_id) for e in cancels) == sorted(a.id for a in open_seats)
    assert {(e.before["status"], e.after["status"], e.after["because"]) for e in cancels} == \
        {("proposed", "cancelled", "request_cancelled"),
         ("confirmed", "cancelled", "request_cancelled")}
    assert events("cancel", declined.id) == []  # a declined seat had nothing left to end


def test_completing_a_request_completes_each_accepted_seat_with_an_event(client, world, as_):
    confirmed(client, as_, world.proposal.id)
    post(client, as_, "expert_sh", f"/api/v1/assignments/{world.proposal.id}/accept")
    response = post(client, as_, "clerk_sh", f"/api/v1/requests/{world.sh_request.id}/complete")
    assert response.status_code == 200, response.get_json()
    assert db.session.get(DispatchRequest, world.sh_request.id).status is RequestStatus.COMPLETED
    [completed] = events("complete")
    assert completed.entity_id == str(world.proposal.id)
    assert (completed.before["status"], completed.after["status"],
            completed.after["because"]) == ("accepted", "completed", "request_completed")


def test_a_clerk_reads_no_assignment_that_no_longer_stands(client, world, as_):
    decline_it(client, as_, world)
    listed = get(client, as_, "clerk_sh", "/api/v1/assignments").get_json()["items"]
    assert DECLINE_REASON not in jsonlib.dumps(listed, ensure_ascii=False)
    assert world.proposal.id not in [a["id"] for a in listed]
    read = get(client, as_, "clerk_sh", f"/api/v1/assignments/{world.proposal.id}")
    assert read.get_json() == as_missing(
        get(client, as_, "clerk_sh", f"/api/v1/assignments/{MISSING}"), world.proposal.id)


def test_an_expert_who_declined_no_longer_sees_the_parties(client, world, as_, make):
    party = make.organization(name="丙半导体有限公司")
    world.sh_case.parties.append(Party(organization=party, role="plaintiff"))
    db.session.commit()
    url = f"/api/v1/assignments/{world.proposal.id}"
    confirmed(client, as_, world.proposal.id)
    parties = get(client, as_, "expert_sh", url).get_json()["parties"]
    assert "丙半导体有限公司 (plaintiff)" in parties
    assert post(client, as_, "expert_sh", f"{url}/decline",
                json={"reason": DECLINE_REASON}).status_code == 200
    assert get(client, as_, "expert_sh", url).get_json()["parties"] is None
    client.post("/sign-in", data={"email": world.users["expert_sh"].email,
                                  "password": "correct horse battery"})
    page = client.get("/expert/").get_data(as_text=True)
    assert world.sh_case.number in page and "丙半导体有限公司" not in page


def test_a_clerk_reads_no_roster_of_an_expert_it_sees(client, world, as_):
    url = f"/api/v1/experts/{world.sh_expert.id}/panels"
    assert get(client, as_, "clerk_sh", f"/api/v1/experts/{world.sh_expert.id}").status_code \
        == 200  # the clerk sees the expert standing on its request...
    assert get(client, as_, "clerk_sh", url).status_code == 403  # ...not its rosters
    for reader in ("expert_sh", "coordinator_yrd", "admin"):
        assert get(client, as_, reader, url).status_code == 200, reader


def test_a_clerk_reads_no_dispatch_reasons(client, world, as_):
    """The solver's reasons tell an expert's load against its capacity: not the court's."""
    world.proposal.reasons = ["field G06F", "load after this assignment 2/3"]
    db.session.commit()
    item = f"/api/v1/assignments/{world.proposal.id}"
    as_clerk = [get(client, as_, "clerk_sh", item).get_json(),
                *get(client, as_, "clerk_sh", "/api/v1/assignments").get_json()["items"]]
    assert as_clerk and all("reasons" not in seen for seen in as_clerk)
    assert "load after" not in jsonlib.dumps(as_clerk)
    for reader in ("coordinator_yrd", "expert_sh"):
        assert "load after this assignment 2/3" in get(client, as_, reader, item).get_json()[
            "reasons"], reader
