"""Cases: filing with a valid case number, technical fields and parties."""

import pytest

from registry.extensions import db
from registry.models import Case
from tests.statements import recording_statements


def new_case(world, **overrides):
    body = {"number": "（2025）沪73知民初7号", "kind": "civil", "title": "某通信专利侵权纠纷",
            "fields": ["H04W", "H04L"], "parties": []}
    body.update(overrides)
    return body


def test_clerk_files_a_case_for_its_own_body_by_default(client, world, as_, make):
    plaintiff, firm = make.organization(name="甲公司"), make.organization(name="乙律师事务所",
                                                                          kind="law_firm")
    db.session.commit()
    response = client.post("/api/v1/cases", headers=as_("clerk_sh"), json=new_case(
        world, parties=[{"organization_id": plaintiff.id, "role": "plaintiff",
                         "counsel_id": firm.id}]))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["handling_body_id"] == world.sh_court.id
    assert body["fields"] == ["H04L", "H04W"]
    assert body["parties"][0]["counsel"] == "乙律师事务所"


def test_half_width_brackets_are_stored_full_width(client, world, as_):
    response = client.post("/api/v1/cases", headers=as_("clerk_sh"),
                           json=new_case(world, number="(2025)沪73知民初8号"))
    assert response.get_json()["number"] == "（2025）沪73知民初8号"


@pytest.mark.parametrize("number", [
    "2025沪73知民初9号", "（2025）沪73知民初号", "（2025）沪73知民初09号", "（25）沪73知民初9号",
    "（2025）XX73知民初9号", "（2025）沪73知民初9", "（2099）沪73知民初9号",
    "（2025）沪73知吃饭9号",
])
def test_malformed_court_case_number_is_refused_with_a_message(client, world, as_, number):
    response = client.post("/api/v1/cases", headers=as_("clerk_sh"),
                           json=new_case(world, number=number))
    assert response.status_code == 422
    assert number in response.get_json()["errors"]["json"]["number"][0]
    assert db.session.query(Case).count() == 2


def test_case_number_of_another_court_is_refused(client, world, as_):
    response = client.post("/api/v1/cases", headers=as_("clerk_sh"),
                           json=new_case(world, number="（2025）苏01知民初9号"))
    assert response.status_code == 422
    assert "苏01" in response.get_json()["message"]


def test_the_same_case_number_cannot_be_filed_twice(client, world, as_):
    response = client.post("/api/v1/cases", headers=as_("clerk_sh"),
                           json=new_case(world, number=world.sh_case.number))
    assert response.status_code == 422
    assert "already registered" in response.get_json()["message"]


def test_another_institutions_file_number_is_neither_revealed_nor_blocked(client, world, as_,
                                                                          make):
    """Arbitration institutions number their own files: one may use a number another has
    registered, and checking it says nothing about the other's files."""
    from registry.models import OrganizationKind, UserRole

    other = make.body("shenzhen", name="深圳另一仲裁机构",
                      kind=OrganizationKind.ARBITRATION_INSTITUTION, case_number_code=None)
    clerk = make.user(UserRole.CLERK, body_id=other.id)
    db.session.commit()
    headers = make.token_for(clerk)
    taken = world.gd_case.number  # the Shenzhen institution's file
    body = {"kind": "arbitration", "number": taken, "title": "软件许可合同纠纷",
            "fields": ["G06F"]}
    filed = client.post("/api/v1/cases", headers=headers, json=body)
    assert filed.status_code == 201, filed.get_json()
    again = client.post("/api/v1/cases", headers=headers, json=body)
    assert again.status_code == 422 and "already registered" in again.get_json()["message"]
    assert db.session.query(Case).filter_by(number=taken).count() == 2


def test_second_instance_links_to_its_first_instance(client, world, as_):
    response = client.post("/api/v1/cases", headers=as_("coordinator_yrd"), json=new_case(
        world, number="（2025）沪73知民终3号", stage="second_instance",
        earlier_stage_id=world.sh_case.id, handling_body_id=world.sh_court.id))
    assert response.status_code == 201
    assert response.get_json()["earlier_stage_id"] == world.sh_case.id


@pytest.mark.parametrize(("change", "field"), [
    ({"fields": []}, "fields"), ({"fields": ["computers"]}, "fields"), ({"kind": "tort"}, "kind"),
    ({"parties": [{"organization_id": 1, "role": "judge"}]}, "parties"),
    ({"earlier_stage_id": 999}, "earlier_stage_id"), ({"number": ""}, "number"),
])
def test_invalid_case_is_refused_naming_the_field(client, world, as_, change, field):
    response = client.post("/api/v1/cases", headers=as_("clerk_sh"),
                           json=new_case(world, **change))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_a_party_must_be_a_known_organization(client, world, as_):
    response = client.post("/api/v1/cases", headers=as_("clerk_sh"), json=new_case(
        world, parties=[{"organization_id": 999, "role": "plaintiff"}]))
    assert response.status_code == 422
    assert db.session.query(Case).count() == 2


def test_arbitration_file_numbers_follow_the_institutions_own_format(client, world, as_):
    ok = client.post("/api/v1/cases", headers=as_("clerk_gd"), json=new_case(
        world, number="（2025）深国仲受123号", kind="arbitration"))
    assert ok.status_code == 201
    bad = client.post("/api/v1/cases", headers=as_("clerk_gd"), json=new_case(
        world, number="abc", kind="arbitration"))
    assert bad.status_code == 422


def test_case_list_filters_by_number(client, world, as_):
    response = client.get("/api/v1/cases", headers=as_("admin"),
                          query_string={"number": "(2024)沪73"})
    assert [c["number"] for c in response.get_json()["items"]] == [world.sh_case.number]


def test_a_case_is_read_in_one_query_its_fields_and_parties_in_order(client, world, as_, make):
    parties = [make.organization(name=name) for name in ("乙公司", "甲公司", "丙公司")]
    case = make.case(body=world.sh_court, parties=parties, fields=("H04L", "G06F", "G06N"))
    path, headers = f"/api/v1/cases/{case.id}", as_("clerk_sh")
    with recording_statements() as seen:
        answer = client.get(path, headers=headers)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["fields"] == ["G06F", "G06N", "H04L"]
    assert [p["organization_id"] for p in body["parties"]] == [p.id for p in parties]
    assert len([s for s in seen if "api_token" not in s]) == 1  # the case, all joined in
