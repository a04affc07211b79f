"""The permission matrix: every role against every resource, trying to step out of scope."""

import pytest

from registry.extensions import db
from registry.models import Assignment, AssignmentStatus, Expert

ALL_USERS = ["admin", "clerk_sh", "clerk_gd", "coordinator_yrd", "coordinator_sh",
             "coordinator_gba", "expert_sh", "expert_gd"]


def expect(client, as_, method, url, allowed, forbidden=None, json=None, state=None):
    """Call `url` as every user: those in `allowed` pass the check.

    Where the url names a row, pass `forbidden`: the users who see the row but may not do
    this get 403, and every other user, who may not see it at all, gets the 404 a missing
    row gets. Without `forbidden` (a role's right, such as managing accounts) the others
    get 403.

    A write done once may be refused the second time for a domain reason (409): that still
    shows the permission check let the user through. `json` may be a function of the user,
    so that each refused write would change something; `state()` reads what a refused one
    must leave as it was. The refused users go first, while there is still something to
    change.
    """
    assert not set(allowed) & set(forbidden or ())
    for user in sorted(ALL_USERS, key=lambda name: name in allowed):
        before = state() if state else None
        body = json(user) if callable(json) else json
        response = client.open(url, method=method, headers=as_(user), json=body)
        if user in allowed:
            passed = response.status_code < 300 if method == "GET" else \
                response.status_code in (200, 201, 204, 409)
            assert passed, (user, response.status_code, response.get_json())
        else:
            wanted = 403 if forbidden is None or user in forbidden else 404
            assert response.status_code == wanted, (user, response.status_code,
                                                    response.get_json())
            if state:
                assert state() == before, user


PROTECTED = [
    ("GET", "/api/v1/experts"), ("POST", "/api/v1/experts"), ("GET", "/api/v1/experts/1"),
    ("PATCH", "/api/v1/experts/1"), ("GET", "/api/v1/experts/1/unavailability"),
    ("POST", "/api/v1/experts/1/conflicts"), ("GET", "/api/v1/cases"),
    ("POST", "/api/v1/cases"), ("GET", "/api/v1/cases/1"), ("GET", "/api/v1/requests"),
    ("POST", "/api/v1/requests"), ("POST", "/api/v1/requests/1/cancel"),
    ("GET", "/api/v1/assignments"), ("POST", "/api/v1/assignments/1/confirm"),
    ("POST", "/api/v1/assignments/1/accept"), ("GET", "/api/v1/organizations"),
    ("GET", "/api/v1/users"), ("GET", "/api/v1/users/me"), ("GET", "/api/v1/users/audit-events"),
]


@pytest.mark.parametrize(("method", "url"), PROTECTED)
def test_every_resource_needs_a_token(client, world, method, url):
    response = client.open(url, method=method, json={})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_forged_token_is_refused(client, world):
    response = client.get("/api/v1/cases", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401


def test_expert_list_is_scoped_by_role(client, world, as_):
    def names(user):
        response = client.get("/api/v1/experts", headers=as_(user))
        return response.status_code, {e["name"] for e in response.get_json().get("items", [])}

    assert names("admin") == (200, {"张伟", "李娜", "陈志明"})
    assert names("coordinator_yrd") == (200, {"张伟", "李娜"})
    assert names("coordinator_sh") == (200, {"张伟"})
    assert names("coordinator_gba") == (200, {"陈志明"})
    assert names("expert_sh") == (200, {"张伟"})
    assert names("expert_gd") == (200, {"陈志明"})
    # A clerk finds the experts standing on its body's requests, and only those.
    assert names("clerk_sh") == (200, {"张伟"})
    assert names("clerk_gd") == (200, set())


def test_expert_record_is_readable_by_self_managers_and_the_assigned_court(client, world, as_):
    url = f"/api/v1/experts/{world.sh_expert.id}"
    expect(client, as_, "GET", url,
           allowed={"admin", "coordinator_yrd", "coordinator_sh", "expert_sh", "clerk_sh"},
           forbidden=set())


def test_court_clerk_never_sees_private_contacts(client, world, as_):
    url = f"/api/v1/experts/{world.sh_expert.id}"
    seen_by_clerk = client.get(url, headers=as_("clerk_sh")).get_json()
    seen_by_self = client.get(url, headers=as_("expert_sh")).get_json()
    assert seen_by_clerk["name"] == "张伟" and seen_by_clerk["fields"]
    assert "email" not in seen_by_clerk and "phone" not in seen_by_clerk
    assert seen_by_self["email"] == world.sh_expert.email


def expert_as_admin_reads_it(client, as_, expert):
    return lambda: client.get(f"/api/v1/experts/{expert.id}", headers=as_("admin")).get_json()


def test_only_managers_of_the_region_change_an_expert(client, world, as_):
    # The expert and the clerk of the court it stands on see the record; others do not.
    expect(client, as_, "PATCH", f"/api/v1/experts/{world.sh_expert.id}",
           allowed={"admin", "coordinator_yrd", "coordinator_sh"},
           forbidden={"expert_sh", "clerk_sh"},
           json=lambda user: {"max_travel_km": 100 + ALL_USERS.index(user),
                              "status": "active"},
           state=expert_as_admin_reads_it(client, as_, world.sh_expert))


def test_the_expert_and_its_managers_change_what_the_expert_keeps_current(client, world, as_):
    expect(client, as_, "PATCH", f"/api/v1/experts/{world.sh_expert.id}",
           allowed={"admin", "coordinator_yrd", "coordinator_sh", "expert_sh"},
           forbidden={"clerk_sh"},
           json=lambda user: {"max_concurrent": 2 + ALL_USERS.index(user)},
           state=expert_as_admin_reads_it(client, as_, world.sh_expert))


def test_an_expert_changes_its_own_languages(client, world, as_):
    response = client.patch(f"/api/v1/experts/{world.sh_expert.id}", headers=as_("expert_sh"),
                            json={"languages": ["zh", "en"], "phone": "+86 139 0000 1111"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["languages"] == ["en", "zh"]


@pytest.mark.parametrize("change", [
    {"fields": [{"code": "H04L", "proficiency": 3}]},
    {"home_city": "hefei"},
    {"status": "retired"},
    {"roles": ["investigator", "arbitrator"]},
    {"appointed_until": "2099-12-31"},
    {"languages": ["zh", "en"], "home_city": "hefei"},  # one managed key spoils the lot
])
def test_an_expert_cannot_change_what_its_coordinators_keep(client, world, as_, change):
    before = client.get(f"/api/v1/experts/{world.sh_expert.id}", headers=as_("admin")).get_json()
    response = client.patch(f"/api/v1/experts/{world.sh_expert.id}", headers=as_("expert_sh"),
                            json=change)
    assert response.status_code == 403
    after = client.get(f"/api/v1/experts/{world.sh_expert.id}", headers=as_("admin")).get_json()
    assert after == before


def test_an_expert_cannot_change_another_experts_record(client, world, as_):
    # Another expert's record is out of sight: the 404 a missing one gets.
    for change in ({"languages": ["en"]}, {}):
        response = client.patch(f"/api/v1/experts/{world.gd_expert.id}",
                                headers=as_("expert_sh"), json=change)
        assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Expert, world.gd_expert.id).language_codes == ["en", "yue", "zh"]


def test_every_writable_expert_input_is_in_the_managers_set():
    from registry.schemas.experts import ExpertUpdateSchema
    from registry.services.permissions import EXPERT_FIELDS, SELF_EDITABLE_EXPERT_FIELDS

    schema = ExpertUpdateSchema()
    writable = {field.data_key or name for name, field in schema.load_fields.items()}
    assert EXPERT_FIELDS == writable
    assert SELF_EDITABLE_EXPERT_FIELDS < EXPERT_FIELDS


def test_coordinator_cannot_move_an_expert_out_of_its_region(client, world, as_):
    response = client.patch(f"/api/v1/experts/{world.sh_expert.id}",
                            headers=as_("coordinator_sh"), json={"jurisdiction": "GD"})
    assert response.status_code == 422  # jurisdiction is not writable
    response = client.post("/api/v1/experts", headers=as_("coordinator_sh"), json={
        "name": "王芳", "roles": ["investigator"], "home_city": "shenzhen",
        "fields": [{"code": "H04L", "proficiency": 2}]})
    assert response.status_code == 403


def test_only_the_expert_and_its_managers_keep_its_declarations(client, world, as_):
    expert = world.sh_expert.id
    allowed = {"admin", "coordinator_yrd", "coordinator_sh", "expert_sh"}
    sees_the_expert = {"clerk_sh"}  # the clerk of the court it stands on: name and fields
    for kind, body in [
        ("unavailability", {"start": "2025-05-01", "end": "2025-05-02"}),
        ("conflicts", {"organization_id": world.gd_court.id}),
        ("affiliations", {"organization_id": world.gd_court.id, "role": "adviser"}),
    ]:
        url = f"/api/v1/experts/{expert}/{kind}"
        expect(client, as_, "GET", url, allowed=allowed, forbidden=sees_the_expert)
        for user in ALL_USERS:
            before = client.get(url, headers=as_("admin")).get_json()
            response = client.post(url, headers=as_(user), json=body)
            if user in allowed:
                assert response.status_code in (201, 422), (kind, user)  # 422: declared twice
            else:
                wanted = 403 if user in sees_the_expert else 404
                assert response.status_code == wanted, (kind, user)
                assert client.get(url, headers=as_("admin")).get_json() == before


def test_expert_cannot_delete_another_experts_unavailability(client, world, as_):
    created = client.post(f"/api/v1/experts/{world.sh_expert.id}/unavailability",
                          headers=as_("expert_sh"), json={"start": "2025-06-01",
                                                          "end": "2025-06-03"}).get_json()
    url = f"/api/v1/experts/{world.sh_expert.id}/unavailability/{created['id']}"
    assert client.delete(url, headers=as_("expert_gd")).status_code == 404  # not its expert
    assert client.delete(url, headers=as_("clerk_sh")).status_code == 403  # sees, may not
    wrong_owner = f"/api/v1/experts/{world.gd_expert.id}/unavailability/{created['id']}"
    assert client.delete(wrong_owner, headers=as_("expert_gd")).status_code == 404
    assert client.delete(url, headers=as_("expert_sh")).status_code == 204  # it was still there


def test_cases_are_visible_to_their_body_and_region_only(client, world, as_):
    expect(client, as_, "GET", f"/api/v1/cases/{world.sh_case.id}",
           allowed={"admin", "clerk_sh", "coordinator_yrd", "coordinator_sh"}, forbidden=set())
    expect(client, as_, "GET", f"/api/v1/cases/{world.gd_case.id}",
           allowed={"admin", "clerk_gd", "coordinator_gba"}, forbidden=set())


def test_case_lists_hold_only_cases_in_scope(client, world, as_):
    def numbers(user):
        return {c["number"] for c in
                client.get("/api/v1/cases", headers=as_(user)).get_json()["items"]}

    assert numbers("clerk_sh") == {world.sh_case.number}
    assert numbers("clerk_gd") == {world.gd_case.number}
    assert numbers("coordinator_gba") == {world.gd_case.number}
    assert numbers("admin") == {world.sh_case.number, world.gd_case.number}
    assert client.get("/api/v1/cases", headers=as_("expert_sh")).status_code == 403


def test_clerk_cannot_file_a_case_for_another_body(client, world, as_):
    response = client.post("/api/v1/cases", headers=as_("clerk_sh"), json={
        "number": "（2024）深国仲受99号", "kind": "arbitration", "fields": ["G06F"],
        "handling_body_id": world.gd_court.id})
    assert response.status_code == 403


def test_clerk_cannot_file_or_cancel_requests_of_another_body(client, world, as_):
    body = {"role": "arbitrator", "seats": 1, "service": "arbitration"}
    response = client.post("/api/v1/requests", headers=as_("clerk_sh"),
                           json=dict(body, case_id=world.gd_case.id))
    missing = client.post("/api/v1/requests", headers=as_("clerk_sh"),
                          json=dict(body, case_id=world.gd_case.id + 1000))
    # Another body's case is refused as an unknown one: same status, same words.
    assert response.status_code == missing.status_code == 422
    assert response.get_json()["message"].replace(str(world.gd_case.id), "N") == \
        missing.get_json()["message"].replace(str(world.gd_case.id + 1000), "N")
    # The expert proposed for the request sees it, and may not cancel it; the others do not
    # see it at all.
    db.session.add(Assignment(request=world.gd_request, expert=world.gd_expert))
    db.session.commit()
    url = f"/api/v1/requests/{world.gd_request.id}"
    expect(client, as_, "POST", f"{url}/cancel",
           allowed={"admin", "clerk_gd", "coordinator_gba"}, forbidden={"expert_gd"},
           state=lambda: client.get(url, headers=as_("admin")).get_json()["status"])


def test_requests_are_visible_to_their_body_region_and_assigned_expert(client, world, as_):
    expect(client, as_, "GET", f"/api/v1/requests/{world.sh_request.id}",
           allowed={"admin", "clerk_sh", "coordinator_yrd", "coordinator_sh", "expert_sh"},
           forbidden=set())


def test_only_coordinators_of_the_region_confirm_a_proposal(client, world, as_):
    url = f"/api/v1/assignments/{world.proposal.id}"
    status = lambda: client.get(url, headers=as_("admin")).get_json()["status"]  # noqa: E731
    # The request's clerk and the expert see the proposal; the others do not see it at all.
    for user, refused in [("clerk_sh", 403), ("expert_sh", 403), ("clerk_gd", 404),
                          ("coordinator_gba", 404), ("expert_gd", 404)]:
        assert client.post(f"{url}/confirm", headers=as_(user)).status_code == refused, user
        assert status() == "proposed", user
    assert client.post(f"{url}/confirm", headers=as_("coordinator_sh")).status_code == 200
    assert status() == "confirmed"


def test_only_the_assigned_expert_accepts_or_declines(client, world, as_):
    client.post(f"/api/v1/assignments/{world.proposal.id}/confirm",
                headers=as_("coordinator_yrd"))
    item = f"/api/v1/assignments/{world.proposal.id}"
    status = lambda: client.get(item, headers=as_("admin")).get_json()["status"]  # noqa: E731
    for action, body in [("accept", None), ("decline", {"reason": "I am ill"})]:
        url = f"{item}/{action}"
        for user, refused in [("admin", 403), ("clerk_sh", 403), ("coordinator_yrd", 403),
                              ("expert_gd", 404)]:
            assert client.post(url, headers=as_(user), json=body).status_code == refused, user
            assert status() == "confirmed", (action, user)
    assert client.post(f"{item}/accept", headers=as_("expert_sh")).status_code == 200
    assert status() == "accepted"


def test_assignment_lists_are_scoped(client, world, as_):
    def count(user):
        response = client.get("/api/v1/assignments", headers=as_(user))
        return response.get_json()["total"]

    assert count("expert_sh") == 1
    assert count("expert_gd") == 0
    assert count("clerk_sh") == 1
    assert count("clerk_gd") == 0
    assert count("coordinator_gba") == 0


def test_only_admins_manage_users_and_read_the_audit_log(client, world, as_):
    expect(client, as_, "GET", "/api/v1/users", allowed={"admin"})
    expect(client, as_, "GET", "/api/v1/users/audit-events", allowed={"admin"})
    expect(client, as_, "PATCH", f"/api/v1/users/{world.users['clerk_gd'].id}",
           allowed={"admin"}, json={"active": True})


def test_only_admins_add_handling_bodies(client, world, as_):
    body = {"name": "某某法院", "kind": "court", "city": "hefei"}
    assert client.post("/api/v1/organizations", headers=as_("coordinator_yrd"),
                       json=body).status_code == 403
    assert client.post("/api/v1/organizations", headers=as_("admin"), json=body).status_code \
        == 201


def test_a_deactivated_users_token_stops_working(client, world, as_):
    headers = as_("clerk_sh")
    client.patch(f"/api/v1/users/{world.users['clerk_sh'].id}", headers=as_("admin"),
                 json={"active": False})
    assert client.get("/api/v1/cases", headers=headers).status_code == 401


def test_a_withdrawn_proposal_gives_no_sight_of_the_request_or_the_expert(client, world, as_):
    world.proposal.status = AssignmentStatus.WITHDRAWN
    db.session.commit()
    assert client.get(f"/api/v1/requests/{world.sh_request.id}",
                      headers=as_("expert_sh")).status_code == 404
    assert client.get(f"/api/v1/experts/{world.sh_expert.id}",
                      headers=as_("clerk_sh")).status_code == 404


def test_coordinator_cannot_move_an_expert_out_of_its_region_by_changing_city(
        client, world, as_):
    response = client.patch(f"/api/v1/experts/{world.sh_expert.id}",
                            headers=as_("coordinator_sh"),
                            json={"home_city": "shenzhen", "appointing_body_id": None})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Expert, world.sh_expert.id).home_city_code == "shanghai"


def test_a_yrd_coordinator_moving_an_expert_within_the_delta_moves_its_jurisdiction(
        client, world, as_):
    response = client.patch(f"/api/v1/experts/{world.sh_expert.id}",
                            headers=as_("coordinator_yrd"), json={"home_city": "hefei"})
    assert response.get_json()["jurisdiction"] == "AH"


@pytest.mark.parametrize(("url", "body"), [
    ("/api/v1/cases", {"number": "（2024）沪73知民初560号", "kind": "civil",
                       "fields": ["G06F"]}),
    ("/api/v1/requests", {"case_id": 999, "role": "investigator", "service": "hearing"}),
    ("/api/v1/assignments", {"request_id": 999, "expert_id": 1}),
])
def test_experts_do_not_file_or_dispatch_whatever_they_send(client, world, as_, url, body):
    assert client.post(url, headers=as_("expert_sh"), json=body).status_code == 403
