"""Natural persons (issue 9, item 7; docs/persons.md): parties and agents who are persons,
experts' near relatives and relations, identity numbers that only admins read, and the
near-relative bar (CPL Art. 47(1)) in export, solving, hand picks and confirmation."""

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

import scheduler
from registry.extensions import db
from registry.models import (
    Assignment,
    AssignmentStatus,
    AuditEvent,
    DomainError,
    ExpertRelation,
    IdentityDocument,
    Party,
    PartyRole,
    Person,
    RelationKind,
    UserRole,
)
from registry.models.persons import check_identity
from registry.services import assignments, dispatch, persons
from registry.services.dispatch import export_problem

AS_OF = date(2025, 1, 10)
DAYS = ((date(2025, 2, 10), date(2025, 2, 11)),)


def resident_id(first17: str) -> str:
    """A valid 居民身份证 number: the 17 digits and their GB 11643 check character."""
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    return first17 + "10X98765432"[total % 11]


WANG_ID = resident_id("31010519800101123")     # 王芳, the plaintiff's person
OTHER_WANG_ID = resident_id("32010219850505432")  # another 王芳
LI_ID = resident_id("31011019751212567")       # 李强, an agent


def person_party(case, actor, name="王芳", number=WANG_ID, role=PartyRole.PLAINTIFF, **more):
    data = {"name": name, "role": role, **more}
    if number:
        data |= {"document_type": IdentityDocument.RESIDENT_ID, "identity_number": number}
    party = persons.add_person_party(case, data, actor)
    db.session.commit()
    return party


def relative(expert, actor, name="王芳", number=WANG_ID, kind=RelationKind.SPOUSE):
    data = {"name": name, "kind": kind}
    if number:
        data |= {"document_type": IdentityDocument.RESIDENT_ID, "identity_number": number}
    relation = persons.declare_relation(expert, data, actor)
    db.session.commit()
    return relation


@pytest.fixture
def admin(make):
    return make.user(UserRole.ADMIN)


def conflict_rule(objections) -> bool:
    return any("rule 6" in line for line in objections)


# -- identity numbers ----------------------------------------------------------------------------

def test_resident_id_checksum_and_birth_date_are_checked():
    assert check_identity(IdentityDocument.RESIDENT_ID, f" {WANG_ID[:6]} {WANG_ID[6:]} ") \
        == WANG_ID
    assert check_identity(IdentityDocument.RESIDENT_ID, resident_id("11010519491231002")
                          .lower()) == resident_id("11010519491231002")
    wrong_check = WANG_ID[:17] + ("0" if WANG_ID[17] != "0" else "1")
    for bad in (wrong_check, WANG_ID[:17], resident_id("31010519801301123"), "abc"):
        with pytest.raises(DomainError) as error:
            check_identity(IdentityDocument.RESIDENT_ID, bad)
        assert error.value.field == "identity_number"


def test_other_documents_take_a_normalised_number():
    assert check_identity(IdentityDocument.HK_MACAO_PERMIT, "ｈ１２３４５６７８") == "H12345678"
    with pytest.raises(DomainError):
        check_identity(IdentityDocument.PASSPORT, "  -  ")


def test_the_database_holds_neither_the_plain_number_nor_its_tail(make, admin):
    party = person_party(make.case(), admin)
    row = db.session.execute(text("SELECT * FROM person WHERE id = :id"),
                             {"id": party.person_id}).mappings().one()
    assert not any(WANG_ID in str(value) for value in row.values())
    assert row["identity_hmac"] != WANG_ID and len(row["identity_hmac"]) == 64
    assert persons.masked(party.person) == f"****{WANG_ID[-4:]}"


def test_the_audit_log_never_holds_the_number(make, admin):
    expert = make.expert()
    case = make.case()
    party = person_party(case, admin, agent_name="李强",
                         agent_document_type=IdentityDocument.RESIDENT_ID,
                         agent_identity_number=LI_ID)
    relation = relative(expert, admin)
    persons.set_agent(party, None, admin)
    persons.remove_relation(relation, admin)
    db.session.commit()
    events = db.session.scalars(select(AuditEvent)).all()
    assert {e.action for e in events} >= {"add_person_party", "declare_relation",
                                          "set_party_agent", "remove_relation"}
    dumped = " ".join(f"{e.before} {e.after}" for e in events)
    assert WANG_ID not in dumped and LI_ID not in dumped
    assert WANG_ID[-6:] not in dumped


def test_a_party_is_an_organisation_or_a_person_never_both_nor_neither(make, admin):
    case, company = make.case(parties=[make.organization()]), make.organization()
    for organization, person in ((company, persons.new_person("赵六", None, None)),
                                 (None, None)):
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.add(Party(case=case, role=PartyRole.DEFENDANT, person=person,
                                 organization=organization))
            db.session.flush()


# -- the near-relative bar -----------------------------------------------------------------------

@pytest.fixture
def setting(make, admin):
    """A Shanghai case whose plaintiff is 王芳 (a natural person) and whose defendant is a
    company represented by 李强, an individual agent; one expert who fits the request."""
    company = make.organization()
    case = make.case(parties=[(company, None)])
    case.parties[0].role = PartyRole.DEFENDANT
    request = make.request(case=case, days=DAYS)
    expert = make.expert()
    person_party(case, admin)
    db.session.commit()
    return case, request, expert


def test_a_near_relative_who_is_a_party_bars_the_expert_at_a_hand_pick(setting, admin):
    case, request, expert = setting
    assert dispatch.check_manual_assignment(request, expert, AS_OF) == []
    relative(expert, admin)
    objections = dispatch.check_manual_assignment(request, expert, AS_OF)
    assert conflict_rule(objections), objections
    [finding] = persons.near_relative_findings(request, expert)
    assert finding["rule"] == "near_relative" and "王芳" in finding["detail"]


def test_a_near_relative_who_is_the_other_partys_agent_bars_the_expert(setting, admin):
    case, request, expert = setting
    company_party = next(p for p in case.parties if p.organization_id)
    persons.set_agent(company_party, {"agent_name": "李强",
                                      "agent_document_type": IdentityDocument.RESIDENT_ID,
                                      "agent_identity_number": LI_ID}, admin)
    db.session.commit()
    relative(expert, admin, name="李强", number=LI_ID, kind=RelationKind.SIBLING)
    assert conflict_rule(dispatch.check_manual_assignment(request, expert, AS_OF))


def test_a_different_person_with_the_same_name_does_not_bar(setting, admin):
    case, request, expert = setting
    relative(expert, admin, number=OTHER_WANG_ID)
    assert dispatch.check_manual_assignment(request, expert, AS_OF) == []
    assert persons.near_relative_findings(request, expert) == []
    assert persons.personal_relationship_findings(request, expert) == []


def test_the_same_name_without_a_number_is_disclosed_as_possible_never_a_bar(setting, admin):
    case, request, expert = setting
    relative(expert, admin, name="王 芳", number=None)
    assert dispatch.check_manual_assignment(request, expert, AS_OF) == []
    [finding] = persons.personal_relationship_findings(request, expert)
    assert finding["rule"] == "personal_relationship"
    assert "may be the same person" in finding["detail"]


def test_another_relation_is_disclosed_not_barred(setting, admin):
    case, request, expert = setting
    relative(expert, admin, kind=RelationKind.CLASSMATE)
    assert dispatch.check_manual_assignment(request, expert, AS_OF) == []
    [finding] = persons.personal_relationship_findings(request, expert)
    assert finding["rule"] == "personal_relationship"
    assert "same identity number" in finding["detail"]


def test_the_bar_holds_at_confirmation(setting, admin, make):
    case, request, expert = setting
    proposal = Assignment(request=request, expert=expert, status=AssignmentStatus.PROPOSED)
    db.session.add(proposal)
    request.status = "proposed"
    db.session.commit()
    relative(expert, admin, kind=RelationKind.PARENT)
    coordinator = make.user(UserRole.COORDINATOR, region="SH")
    with pytest.raises(DomainError, match="rule 6"):
        assignments.confirm(proposal, coordinator)


def test_the_bar_holds_in_the_solvers_plan(setting, admin, make):
    case, request, expert = setting
    other = make.expert()
    relative(expert, admin)
    document, _run = export_problem("SH", date(2025, 1, 1), date(2025, 3, 31), as_of=AS_OF)
    entry = next(r for r in document["requests"] if r["id"] == str(request.id))
    barred = next(e for e in document["experts"] if e["id"] == str(expert.id))
    token = case.parties[-1].person.match_token
    assert token in entry["parties"] and token in barred["conflicts"]
    assert WANG_ID not in str(document)
    plan = scheduler.solve(scheduler.load_problem(document), time_limit_s=2, workers=1)
    chosen = {a["expert"] for a in plan.to_dict()["assignments"]
              if a["request"] == str(request.id)}
    assert chosen == {str(other.id)}


def test_a_relative_without_a_number_is_not_exported(setting, admin):
    case, request, expert = setting
    relative(expert, admin, number=None)
    document, _run = export_problem("SH", date(2025, 1, 1), date(2025, 3, 31), as_of=AS_OF)
    assert next(e for e in document["experts"] if e["id"] == str(expert.id))["conflicts"] == []


def test_withdrawing_the_relative_lifts_the_bar(setting, admin):
    case, request, expert = setting
    relation = relative(expert, admin)
    persons.remove_relation(relation, admin)
    db.session.commit()
    assert dispatch.check_manual_assignment(request, expert, AS_OF) == []
    assert db.session.scalar(select(ExpertRelation.id)) is None
    assert db.session.get(Person, relation.person_id) is None


# -- who sees the number: API ---------------------------------------------------------------------

PARTY = {"role": "plaintiff", "name": "王芳", "document_type": "resident_id",
         "identity_number": WANG_ID, "agent_name": "李强",
         "agent_document_type": "resident_id", "agent_identity_number": LI_ID}


def test_api_adds_a_person_party_and_only_admins_read_the_numbers(client, world, as_):
    url = f"/api/v1/cases/{world.sh_case.id}/person-parties"
    response = client.post(url, json=PARTY, headers=as_("clerk_sh"))
    assert response.status_code == 201, response.json
    assert response.json["person"]["identity_masked"] == f"****{WANG_ID[-4:]}"
    for name in ("clerk_sh", "coordinator_sh"):
        body = client.get(url, headers=as_(name)).get_data(as_text=True)
        assert "王芳" in body and WANG_ID not in body and LI_ID not in body, name
    assert client.get(url, headers=as_("expert_sh")).status_code in (403, 404)
    assert client.get(url, headers=as_("clerk_gd")).status_code == 404
    [party] = client.get(url, headers=as_("admin")).json
    assert party["person"]["identity_number"] == WANG_ID
    assert party["agent"]["identity_number"] == LI_ID
    case = client.get(f"/api/v1/cases/{world.sh_case.id}", headers=as_("clerk_sh")).json
    assert {"person": "王芳", "agent": "李强"}.items() <= case["parties"][-1].items()


@pytest.mark.parametrize("change, field", [
    ({"identity_number": WANG_ID[:17] + ("1" if WANG_ID[17] == "0" else "0")},
     "identity_number"),
    ({"document_type": None}, "document_type"),
    ({"name": "  "}, "name"),
    ({"role": "judge"}, "role"),
    ({"agent_identity_number": "12"}, "agent_identity_number"),
])
def test_api_refuses_bad_input_naming_the_field_and_writes_nothing(client, world, as_, change,
                                                                   field):
    response = client.post(f"/api/v1/cases/{world.sh_case.id}/person-parties",
                           json=PARTY | change, headers=as_("clerk_sh"))
    assert response.status_code == 422
    assert field in response.get_data(as_text=True)
    assert db.session.scalar(select(Person.id)) is None


def test_api_relations_are_the_experts_its_coordinators_and_admins(client, world, as_):
    url = f"/api/v1/experts/{world.sh_expert.id}/relations"
    declared = client.post(url, json={"kind": "spouse", "name": "王芳",
                                      "document_type": "resident_id",
                                      "identity_number": WANG_ID}, headers=as_("expert_sh"))
    assert declared.status_code == 201, declared.json
    assert declared.json["near_relative"] is True
    assert WANG_ID not in declared.get_data(as_text=True)
    for name in ("expert_sh", "coordinator_yrd"):
        body = client.get(url, headers=as_(name)).get_data(as_text=True)
        assert "王芳" in body and WANG_ID not in body, name
    for name in ("expert_gd", "clerk_sh", "coordinator_gba"):
        assert client.get(url, headers=as_(name)).status_code in (403, 404), name
    assert client.get(url, headers=as_("admin")).json[0]["person"]["identity_number"] == WANG_ID
    relation_id = declared.json["id"]
    assert client.delete(f"{url}/{relation_id}", headers=as_("expert_gd")).status_code in (
        403, 404)
    assert client.delete(f"{url}/{relation_id}", headers=as_("expert_sh")).status_code == 204
    assert client.get(url, headers=as_("expert_sh")).json == []


def test_one_person_or_a_second_spouse_is_not_declared_twice(client, world, as_):
    url = f"/api/v1/experts/{world.sh_expert.id}/relations"

    def declare(**body):
        return client.post(url, json=body, headers=as_("expert_sh"))

    assert declare(kind="spouse", name="王芳", document_type="resident_id",
                   identity_number=WANG_ID).status_code == 201
    same_person = declare(kind="classmate", name="王五", document_type="resident_id",
                          identity_number=WANG_ID)
    assert same_person.status_code == 422
    assert "identity_number" in same_person.json["errors"]["json"]
    second_spouse = declare(kind="spouse", name="王建国")
    assert second_spouse.status_code == 422 and "kind" in second_spouse.json["errors"]["json"]
    assert declare(kind="sibling", name="王建国").status_code == 201  # another relative is fine
    assert len(client.get(url, headers=as_("expert_sh")).json) == 2


def test_api_agent_for_an_organisation_party_bars_its_relative(client, world, as_, make):
    company = make.organization()
    world.sh_case.parties.append(Party(organization=company, role=PartyRole.DEFENDANT))
    db.session.commit()
    party_id = world.sh_case.parties[-1].id
    response = client.put(f"/api/v1/cases/{world.sh_case.id}/parties/{party_id}/agent",
                          json={"agent_name": "李强", "agent_document_type": "resident_id",
                                "agent_identity_number": LI_ID}, headers=as_("clerk_sh"))
    assert response.status_code == 200, response.json
    client.post(f"/api/v1/experts/{world.sh_expert.id}/relations",
                json={"kind": "child", "name": "李强", "document_type": "resident_id",
                      "identity_number": LI_ID}, headers=as_("expert_sh"))
    with pytest.raises(DomainError, match="rule 6"):
        assignments.confirm(db.session.merge(world.proposal), world.users["coordinator_sh"])


# -- who sees the number: pages -------------------------------------------------------------------

def signed_in(client, world, name):
    response = client.post("/sign-in", data={"email": world.users[name].email,
                                             "password": "correct horse battery"})
    assert response.status_code == 302
    return client


def test_clerk_adds_a_person_party_on_the_page_and_never_sees_the_number(client, world, app):
    from tests.web.test_templates_never_query import statements_while_rendering

    signed_in(client, world, "clerk_sh")
    url = f"/clerk/cases/{world.sh_case.id}/person-parties/new"
    assert client.get(url).status_code == 200
    response = client.post(url, data={k: v for k, v in PARTY.items()})
    assert response.status_code == 302
    with statements_while_rendering(app) as seen:
        page = client.get(f"/clerk/cases/{world.sh_case.id}")
    html = page.get_data(as_text=True)
    assert seen == []
    assert "王芳" in html and f"****{WANG_ID[-4:]}" in html and "李强" in html
    assert WANG_ID not in html and LI_ID not in html


def test_the_clerks_form_keeps_values_and_names_the_bad_field(client, world):
    signed_in(client, world, "clerk_sh")
    bad = PARTY | {"identity_number": "310105198001011230"}
    if bad["identity_number"] == WANG_ID:
        bad["identity_number"] = "310105198001011231"
    response = client.post(f"/clerk/cases/{world.sh_case.id}/person-parties/new", data=bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="identity_number-error"' in html and 'value="王芳"' in html
    assert db.session.scalar(select(Person.id)) is None


def test_expert_declares_and_withdraws_a_relative_on_the_pages(client, world):
    signed_in(client, world, "expert_sh")
    assert "expert/declarations/relations" in client.get("/expert/declarations").get_data(
        as_text=True)
    response = client.post("/expert/declarations/relations/new", data={
        "kind": "parent", "name": "王芳", "document_type": "resident_id",
        "identity_number": WANG_ID})
    assert response.status_code == 302
    html = client.get("/expert/declarations/relations").get_data(as_text=True)
    assert "王芳" in html and f"****{WANG_ID[-4:]}" in html and WANG_ID not in html
    relation = db.session.scalar(select(ExpertRelation))
    assert client.post(f"/expert/declarations/relations/{relation.id}/withdraw").status_code \
        == 302
    assert db.session.scalar(select(ExpertRelation.id)) is None


def test_another_expert_cannot_withdraw_or_see_a_relation(client, world, admin):
    relation = relative(db.session.merge(world.sh_expert), admin)
    signed_in(client, world, "expert_gd")
    assert "王芳" not in client.get("/expert/declarations/relations").get_data(as_text=True)
    assert client.post(f"/expert/declarations/relations/{relation.id}/withdraw").status_code \
        == 404
    assert db.session.get(ExpertRelation, relation.id) is not None


# -- the demo -------------------------------------------------------------------------------------

def test_the_persons_demo_bars_the_demo_expert_on_its_case(app):
    from registry.models import Case, User
    from registry.models.cases import OPEN_REQUEST_STATUSES
    from registry.services import seeding
    from registry.services.persons_demo import EXPERT, seed_persons_demo

    seeding.load_reference_data()
    seeding.load_demo_registry(experts=120, showcase=False)
    db.session.commit()
    assert seed_persons_demo() == {"persons": 4, "relations": 2}
    db.session.commit()
    case = db.session.scalar(select(Case).where(Case.parties.any(Party.person_id.is_not(None))))
    request = next(r for r in case.requests if r.status in OPEN_REQUEST_STATUSES)
    expert = db.session.scalar(select(User).where(User.email == EXPERT)).expert
    assert [f["rule"] for f in persons.near_relative_findings(request, expert)] == [
        "near_relative"]
    assert [f["rule"] for f in persons.personal_relationship_findings(request, expert)] == [
        "personal_relationship"]
    assert conflict_rule(dispatch.check_manual_assignment(request, expert))
    assert seed_persons_demo() == {"persons": 0, "relations": 0}


# -- changes after assignment are flagged (docs/flags.md) ----------------------------------------

@pytest.mark.parametrize("order", ["relative_then_party", "party_then_relative"])
def test_a_held_seat_broken_by_a_relative_or_a_person_party_is_flagged(make, admin, order):
    from datetime import timedelta

    from registry.models import AssignmentFlag

    soon = date.today() + timedelta(days=40)
    case = make.case(parties=[make.organization()])
    request = make.request(case=case, days=[(soon, soon)])
    expert = make.expert()
    seat = Assignment(request=request, expert=expert, status=AssignmentStatus.ACCEPTED)
    db.session.add(seat)
    request.status = "accepted"
    db.session.commit()
    steps = [lambda: relative(expert, admin), lambda: person_party(case, admin)]
    steps = steps if order == "relative_then_party" else steps[::-1]
    steps[0]()
    assert db.session.scalars(select(AssignmentFlag)).all() == []
    steps[1]()
    [flag] = db.session.scalars(select(AssignmentFlag)).all()
    assert (flag.assignment_id, flag.rule) == (seat.id, "near_relative")
    assert [r["name"] for r in flag.facts["relatives"]] != []
    assert flag.cleared_at is None


def test_no_page_of_a_clerk_coordinator_or_expert_shows_a_number(client, world, admin):
    case = db.session.merge(world.sh_case)
    person_party(case, admin, agent_name="李强",
                 agent_document_type=IdentityDocument.RESIDENT_ID, agent_identity_number=LI_ID)
    relative(db.session.merge(world.sh_expert), admin)
    request_id = world.sh_request.id
    pages = {"clerk_sh": [f"/clerk/cases/{case.id}", f"/clerk/requests/{request_id}"],
             "coordinator_sh": ["/console/", f"/console/requests/{request_id}/candidates"],
             "expert_sh": ["/expert/", "/expert/declarations/relations"],
             "expert_gd": ["/expert/", "/expert/declarations/relations"]}
    for name, urls in pages.items():
        signed_in(client, world, name)
        for url in urls:
            response = client.get(url)
            html = response.get_data(as_text=True)
            assert response.status_code == 200, (name, url)
            assert WANG_ID not in html and LI_ID not in html, (name, url)
        client.post("/sign-out")


def test_the_same_person_cannot_be_a_party_twice(make, admin):
    case = make.case()
    person_party(case, admin)
    with pytest.raises(DomainError, match="already a party"):
        person_party(case, admin, name="王 芳", role=PartyRole.DEFENDANT)
    db.session.rollback()
    assert len(db.session.scalars(select(Party)).all()) == 1


def test_a_coordinator_keeps_its_experts_relations_on_the_console(client, world):
    expert_id = world.sh_expert.id
    signed_in(client, world, "coordinator_yrd")
    assert f"/console/experts/{expert_id}/relations" in client.get(
        "/console/experts").get_data(as_text=True)
    response = client.post(f"/console/experts/{expert_id}/relations/new", data={
        "kind": "sibling", "name": "王芳", "document_type": "resident_id",
        "identity_number": WANG_ID[:17]})
    assert response.status_code == 422
    assert 'id="identity_number-error"' in response.get_data(as_text=True)
    response = client.post(f"/console/experts/{expert_id}/relations/new", data={
        "kind": "sibling", "name": "王芳", "document_type": "resident_id",
        "identity_number": WANG_ID})
    assert response.status_code == 302
    html = client.get(f"/console/experts/{expert_id}/relations").get_data(as_text=True)
    assert "王芳" in html and f"****{WANG_ID[-4:]}" in html and WANG_ID not in html
    relation = db.session.scalar(select(ExpertRelation))
    assert relation.expert_id == expert_id and relation.kind is RelationKind.SIBLING
    client.post("/sign-out")
    signed_in(client, world, "coordinator_gba")
    assert client.get(f"/console/experts/{expert_id}/relations").status_code in (403, 404)
    assert client.post(f"/console/experts/{expert_id}/relations/{relation.id}/withdraw") \
        .status_code in (403, 404)
    assert db.session.get(ExpertRelation, relation.id) is not None
