"""The assignment lifecycle through the API: confirm, accept, decline."""

from datetime import date

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import (
    Assignment,
    AssignmentStatus,
    CaseStage,
    CreditKind,
    CreditRecord,
    DeclaredConflict,
    DispatchRequest,
    Exclusion,
    ExclusionReason,
    Party,
    RequestStatus,
    Unavailability,
)


def post(client, headers, url, json=None):
    return client.post(url, headers=headers, json=json)


def test_confirm_then_accept_moves_the_request_along(client, world, as_):
    base = f"/api/v1/assignments/{world.proposal.id}"
    confirmed = post(client, as_("coordinator_yrd"), f"{base}/confirm")
    assert confirmed.get_json()["status"] == "confirmed"
    assert db.session.get(DispatchRequest, world.sh_request.id).status.value == "confirmed"
    accepted = post(client, as_("expert_sh"), f"{base}/accept")
    assert accepted.get_json()["status"] == "accepted"
    assert db.session.get(DispatchRequest, world.sh_request.id).status.value == "accepted"


def test_decline_needs_a_reason_and_keeps_the_expert_off_the_request(client, world, as_):
    base = f"/api/v1/assignments/{world.proposal.id}"
    post(client, as_("coordinator_yrd"), f"{base}/confirm")
    no_reason = post(client, as_("expert_sh"), f"{base}/decline", {})
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]["json"]
    declined = post(client, as_("expert_sh"), f"{base}/decline", {"reason": "出差在外"})
    assert declined.get_json()["decline_reason"] == "出差在外"
    assert db.session.get(DispatchRequest, world.sh_request.id).status.value == "declined"
    exclusion = db.session.query(Exclusion).one()
    assert (exclusion.expert_id, exclusion.reason) == (world.sh_expert.id,
                                                       ExclusionReason.DECLINED)


def test_a_two_character_reason_declines(client, world, as_):
    base = f"/api/v1/assignments/{world.proposal.id}"
    post(client, as_("coordinator_yrd"), f"{base}/confirm")
    declined = post(client, as_("expert_sh"), f"{base}/decline", {"reason": " 出差 "})
    assert declined.status_code == 200, declined.get_json()
    assert declined.get_json()["decline_reason"] == "出差"


@pytest.mark.parametrize("reason", ["", "   ", "\u3000", "长" * 501, None, 7])
def test_a_blank_overlong_or_non_text_reason_is_refused(client, world, as_, reason):
    base = f"/api/v1/assignments/{world.proposal.id}"
    post(client, as_("coordinator_yrd"), f"{base}/confirm")
    response = post(client, as_("expert_sh"), f"{base}/decline", {"reason": reason})
    assert response.status_code == 422
    assert "reason" in response.get_json()["errors"]["json"]
    assert db.session.get(Assignment, world.proposal.id).status is AssignmentStatus.CONFIRMED


def test_an_unconfirmed_proposal_cannot_be_accepted(client, world, as_):
    response = post(client, as_("expert_sh"), f"/api/v1/assignments/{world.proposal.id}/accept")
    assert response.status_code == 409
    assert "proposed" in response.get_json()["message"]


def test_a_confirmed_assignment_cannot_be_confirmed_again(client, world, as_):
    url = f"/api/v1/assignments/{world.proposal.id}/confirm"
    assert post(client, as_("coordinator_yrd"), url).status_code == 200
    assert post(client, as_("coordinator_yrd"), url).status_code == 409


def test_expert_lists_its_own_assignments_with_days_and_city(client, world, as_):
    items = client.get("/api/v1/assignments", headers=as_("expert_sh")).get_json()["items"]
    assert [(a["case_number"], a["city"], a["days"]) for a in items] == [
        (world.sh_case.number, "shanghai", [{"start": "2025-03-03", "end": "2025-03-04"}])]


def test_unknown_assignment_is_404(client, world, as_):
    assert client.get("/api/v1/assignments/999", headers=as_("admin")).status_code == 404


def test_assignments_filter_by_request_and_expert(client, world, as_):
    def ids(**params):
        response = client.get("/api/v1/assignments", headers=as_("admin"), query_string=params)
        return [a["id"] for a in response.get_json()["items"]]

    assert ids(request_id=world.sh_request.id) == [world.proposal.id]
    assert ids(expert_id=world.gd_expert.id) == []
    assert client.get("/api/v1/assignments", headers=as_("admin"),
                      query_string={"request_id": 2**31}).status_code == 422


def pick(client, headers, request_id, expert_id, note="closest free expert"):
    return client.post("/api/v1/assignments", headers=headers,
                       json={"request_id": request_id, "expert_id": expert_id, "note": note})


def test_coordinator_picks_an_expert_by_hand_and_it_replaces_the_proposal(client, world, as_):
    response = pick(client, as_("coordinator_yrd"), world.sh_request.id, world.js_expert.id)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "confirmed" and body["source"] == "coordinator"
    assert "closest free expert" in body["reasons"][0]
    db.session.expire_all()  # the test's session read the request before the call
    assert db.session.get(Assignment, world.proposal.id).status is AssignmentStatus.WITHDRAWN
    assert db.session.get(DispatchRequest, world.sh_request.id).status.value == "confirmed"


def test_a_hand_pick_that_breaks_a_rule_is_refused_with_the_rule(client, world, as_, make):
    party = make.organization(name="甲公司")
    world.sh_case.parties.append(Party(organization=party, role="plaintiff"))
    db.session.add(DeclaredConflict(expert_id=world.js_expert.id, organization=party))
    db.session.commit()
    conflicted = pick(client, as_("coordinator_yrd"), world.sh_request.id, world.js_expert.id)
    assert conflicted.status_code == 422
    assert "conflict" in conflicted.get_json()["message"]
    arbitrator = make.expert(name="钱仲裁", city="hangzhou", roles=("arbitrator",))
    db.session.commit()
    wrong_role = pick(client, as_("coordinator_yrd"), world.sh_request.id, arbitrator.id)
    assert wrong_role.status_code == 422
    assert "role" in wrong_role.get_json()["message"]
    assert db.session.query(Assignment).count() == 1


def test_a_hand_pick_of_another_regions_expert_says_nothing_about_it(client, world, as_):
    """What the rules would say of an expert the request may not draw on (its conflicts,
    absences, load) is another region's business: the answer is a missing row's."""
    db.session.add(Unavailability(expert_id=world.gd_expert.id, start=date(2025, 3, 3),
                                  end=date(2025, 3, 4), reason="出差"))
    db.session.commit()
    foreign = pick(client, as_("coordinator_yrd"), world.sh_request.id, world.gd_expert.id)
    missing = pick(client, as_("coordinator_yrd"), world.sh_request.id, 999999)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_json()["message"].replace(str(world.gd_expert.id), "N") == \
        missing.get_json()["message"].replace("999999", "N")
    assert db.session.query(Assignment).count() == 1


def test_only_the_regions_coordinators_pick_by_hand(client, world, as_):
    # Clerks and experts are no coordinators (403); another region's coordinator does not
    # even see the request (404, as if it did not exist).
    for user, refused in [("clerk_sh", 403), ("expert_sh", 403), ("expert_gd", 403),
                          ("coordinator_gba", 404)]:
        response = pick(client, as_(user), world.sh_request.id, world.js_expert.id)
        assert response.status_code == refused, user
    assert not db.session.scalars(select(Assignment).where(
        Assignment.expert_id == world.js_expert.id)).all()


def test_the_same_expert_cannot_be_picked_twice(client, world, as_):
    response = pick(client, as_("coordinator_yrd"), world.sh_request.id, world.sh_expert.id)
    assert response.status_code == 422
    assert "already" in response.get_json()["message"]


def confirm(client, as_, assignment_id):
    return client.post(f"/api/v1/assignments/{assignment_id}/confirm",
                       headers=as_("coordinator_yrd"))


def test_a_hand_pick_fills_a_fresh_request(client, world, as_, make):
    fresh = make.request(case=world.sh_case, days=[(date(2027, 3, 3), date(2027, 3, 4))])
    db.session.commit()
    response = pick(client, as_("coordinator_yrd"), fresh.id, world.js_expert.id)
    assert response.status_code == 201, response.get_json()


def test_a_hand_pick_replaces_an_expert_who_declined(client, world, as_):
    confirm(client, as_, world.proposal.id)
    client.post(f"/api/v1/assignments/{world.proposal.id}/decline", headers=as_("expert_sh"),
                json={"reason": "away"})
    response = pick(client, as_("coordinator_yrd"), world.sh_request.id, world.js_expert.id)
    assert response.status_code == 201, response.get_json()


def test_confirming_rechecks_a_conflict_declared_after_the_proposal(client, world, as_, make):
    party = make.organization(name="甲公司")
    world.sh_case.parties.append(Party(organization=party, role="plaintiff"))
    db.session.add(DeclaredConflict(expert_id=world.sh_expert.id, organization=party))
    db.session.commit()
    response = confirm(client, as_, world.proposal.id)
    assert response.status_code == 422
    assert "conflict" in response.get_json()["message"]


def test_confirming_rechecks_a_suspension(client, world, as_):
    db.session.add(CreditRecord(expert_id=world.sh_expert.id, kind=CreditKind.SUSPENSION,
                                start=date(2020, 1, 1)))
    db.session.commit()
    assert confirm(client, as_, world.proposal.id).status_code == 422


def test_confirming_refuses_the_same_days_confirmed_elsewhere(client, world, as_, make):
    other = make.request(case=make.case(body=world.sh_court),
                         days=[(date(2025, 3, 4), date(2025, 3, 5))])
    clash = Assignment(request=other, expert=world.sh_expert)
    db.session.add(clash)
    other.status = RequestStatus.PROPOSED
    db.session.commit()
    assert confirm(client, as_, world.proposal.id).status_code == 200
    response = confirm(client, as_, clash.id)
    assert response.status_code == 422
    assert "double" in response.get_json()["message"]


def test_confirming_enforces_one_procedure_per_dispute(client, world, as_, make):
    retrial = make.case(body=world.sh_court, stage=CaseStage.RETRIAL,
                        earlier_stage=world.sh_case, number="（2025）沪73知民再1号")
    later = make.request(case=retrial, days=[(date(2027, 3, 3), date(2027, 3, 3))])
    second_stage = Assignment(request=later, expert=world.sh_expert)
    db.session.add(second_stage)
    later.status = RequestStatus.PROPOSED
    db.session.commit()
    assert confirm(client, as_, world.proposal.id).status_code == 200
    assert confirm(client, as_, second_stage.id).status_code == 422


def test_a_panel_member_declines_while_other_seats_are_still_proposed(client, world, as_, make):
    others = [make.expert(city="shenzhen", roles=("arbitrator",)) for _ in range(2)]
    mine = Assignment(request=world.gd_request, expert=world.gd_expert,
                      status=AssignmentStatus.CONFIRMED)
    db.session.add_all([mine, *(Assignment(request=world.gd_request, expert=e) for e in others)])
    world.gd_request.status = RequestStatus.PROPOSED
    db.session.commit()
    response = client.post(f"/api/v1/assignments/{mine.id}/decline", headers=as_("expert_gd"),
                           json={"reason": "生病了"})
    assert response.status_code == 200, response.get_json()


def test_an_expert_cannot_read_a_colleagues_assignment(client, world, as_, make):
    colleague = make.expert(city="shenzhen", roles=("arbitrator",))
    mine = Assignment(request=world.gd_request, expert=world.gd_expert)
    theirs = Assignment(request=world.gd_request, expert=colleague,
                        status=AssignmentStatus.DECLINED, decline_reason="家中有人住院")
    db.session.add_all([mine, theirs])
    db.session.commit()
    # Out of sight: the very answer an assignment that does not exist gets.
    unseen = client.get(f"/api/v1/assignments/{theirs.id}", headers=as_("expert_gd"))
    missing = client.get("/api/v1/assignments/999999", headers=as_("expert_gd"))
    assert unseen.status_code == missing.status_code == 404
    assert unseen.get_json()["message"] == f"assignment {theirs.id} not found"
    for action, body in [("accept", None), ("decline", {"reason": "冒名谢绝"})]:
        response = client.post(f"/api/v1/assignments/{theirs.id}/{action}",
                               headers=as_("expert_gd"), json=body)
        assert response.status_code == 404, action
    db.session.expire_all()
    assert db.session.get(Assignment, theirs.id).decline_reason == "家中有人住院"
    request_seen = client.get(f"/api/v1/requests/{world.gd_request.id}",
                              headers=as_("expert_gd")).get_json()
    assert "assignments" not in request_seen and "exclusions" not in request_seen


def test_the_expert_sees_parties_to_check_conflicts_unless_the_case_is_confidential(
        client, world, as_, make):
    party, firm = make.organization(name="甲公司"), make.organization(name="乙律所")
    world.sh_case.parties.append(Party(organization=party, role="plaintiff", counsel=firm))
    db.session.commit()
    url = f"/api/v1/assignments/{world.proposal.id}"
    assert client.get(url, headers=as_("expert_sh")).get_json()["parties"] == [
        "甲公司 (plaintiff)", "乙律所 (counsel)"]
    world.sh_case.confidential = True
    db.session.commit()
    assert client.get(url, headers=as_("expert_sh")).get_json()["parties"] is None
    confirm(client, as_, world.proposal.id)
    assert client.get(url, headers=as_("expert_sh")).get_json()["parties"]


@pytest.mark.parametrize("status", [AssignmentStatus.WITHDRAWN, AssignmentStatus.CANCELLED])
def test_a_proposal_never_confirmed_keeps_a_confidential_cases_parties_withheld(
        client, world, as_, make, status):
    world.sh_case.parties.append(Party(organization=make.organization(name="甲公司"),
                                       role="plaintiff"))
    world.sh_case.confidential = True
    world.proposal.status = status
    db.session.commit()
    items = client.get("/api/v1/assignments", headers=as_("expert_sh")).get_json()["items"]
    assert [a["parties"] for a in items] == [None]


# -- the listing's disclosures --------------------------------------------------------------

def relation_lookups(app, client, headers, url) -> tuple[int, dict]:
    """How many statements read the experts' declared relations while the API lists `url`."""
    from tests.statements import recording_statements

    with recording_statements() as seen:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_json()
    return sum("FROM expert_relation" in statement for statement in seen), response.get_json()


@pytest.mark.parametrize("seats", [3, 6])
def test_the_assignment_list_looks_up_declared_relations_once_for_all_seats(
        app, client, world, as_, make, seats):
    """Investigator seats disclose only a declared relation: the page looks up who declared
    one in one query for all its seats, whose rows the related seat's matching then reads:
    one statement, not one per seat (nor a second for that seat)."""
    from registry.models import PartyRole, RelationKind
    from registry.services import persons

    admin = world.users["admin"]
    related = make.expert(name="赵敏")
    persons.declare_relation(related, {"name": "王芳", "kind": RelationKind.CLASSMATE}, admin)
    case = make.case(body=world.sh_court, number="（2026）沪73知民初8801号")
    persons.add_person_party(case, {"name": "王芳", "role": PartyRole.PLAINTIFF}, admin)
    experts = [related] + [make.expert() for _ in range(seats - 1)]
    ids = {}
    for expert in experts:
        request = make.request(case=case)
        seat = Assignment(request=request, expert=expert, reasons=["test"])
        db.session.add(seat)
        db.session.flush()
        ids[expert.id] = seat.id
    db.session.commit()
    lookups, page = relation_lookups(app, client, as_("admin"),
                                     "/api/v1/assignments?per_page=50")
    assert lookups == 1
    shown = {item["id"]: [d["rule"] for d in item["disclosures"]] for item in page["items"]}
    assert shown[ids[related.id]] == ["personal_relationship"]
    assert all(shown[ids[e.id]] == [] for e in experts[1:])
    assert shown[world.proposal.id] == []


@pytest.mark.parametrize("who", ["coordinator_yrd", "clerk_sh", "expert_sh"])
def test_an_assignment_is_read_with_what_its_scope_check_reads(client, world, as_, who):
    # Whether the caller may see the seat depends on the case's handling body and, for a
    # coordinator, its city's jurisdiction: loaded with the assignment, not one by one after.
    from tests.statements import recording_statements

    headers = as_(who)
    with recording_statements() as seen:
        response = client.get(f"/api/v1/assignments/{world.proposal.id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    assert not any("FROM city" in " ".join(s.split()) for s in seen)
