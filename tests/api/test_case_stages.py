"""Issue 9 item 5: a case's stage and kind agree with its number, an appeal without its first
instance is warned about (with suggestions), who may link an earlier stage, and the case types
open to technical investigators (rule `case_type`, SPC 2019 Art. 1)."""

import pytest

from registry.extensions import db
from registry.models import Case, CaseStage, OrganizationKind, UserRole
from registry.services.causes import load_causes
from scheduler import rules


def new_case(**overrides):
    body = {"number": "（2025）沪73知民初7号", "kind": "civil", "fields": ["H04W"]}
    body.update(overrides)
    return body


def post_case(client, as_, who="clerk_sh", **overrides):
    return client.post("/api/v1/cases", headers=as_(who), json=new_case(**overrides))


def errors_of(response) -> dict:
    return response.get_json()["errors"]["json"]


# -- the stage and kind against the number's type code ------------------------------------

@pytest.mark.parametrize(("number", "stage"), [
    ("（2025）沪73知民终3号", "first_instance"),
    ("（2025）沪73知民初3号", "second_instance"),
    ("（2025）沪73知民再3号", "first_instance"),
    ("（2025）沪73知民申3号", "second_instance"),
])
def test_a_stage_the_number_contradicts_is_refused_naming_the_stage(client, world, as_,
                                                                    number, stage):
    response = post_case(client, as_, number=number, stage=stage)
    assert response.status_code == 422, response.get_json()
    assert "stage" in errors_of(response)
    assert db.session.query(Case).count() == 2


@pytest.mark.parametrize(("number", "kind"), [
    ("（2025）沪73知刑初3号", "civil"), ("（2025）沪73知民初3号", "administrative"),
    ("（2025）沪73知行初3号", "criminal"),
])
def test_a_kind_the_number_contradicts_is_refused_naming_the_kind(client, world, as_,
                                                                  number, kind):
    response = post_case(client, as_, number=number, kind=kind)
    assert response.status_code == 422, response.get_json()
    assert "kind" in errors_of(response)


@pytest.mark.parametrize(("number", "stage"), [
    ("（2025）沪73知民初3号", "first_instance"), ("（2025）沪73知民终3号", "second_instance"),
    ("（2025）沪73知民再3号", "retrial"), ("（2025）沪73知民申3号", "retrial"),
])
def test_the_stage_is_derived_from_the_number_when_not_given(client, world, as_,
                                                             number, stage):
    response = post_case(client, as_, number=number)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["stage"] == stage


def test_a_stage_that_agrees_with_the_number_is_accepted(client, world, as_):
    response = post_case(client, as_, number="（2025）沪73知民终3号", stage="second_instance",
                         earlier_stage_id=world.sh_case.id)
    assert response.status_code == 201, response.get_json()


def test_an_arbitration_case_at_a_court_is_refused_naming_the_kind(client, world, as_):
    response = post_case(client, as_, number="（2025）深国仲受3号", kind="arbitration")
    assert response.status_code == 422
    assert "kind" in errors_of(response)


# -- an appeal without its first instance ---------------------------------------------------

@pytest.fixture
def parties(make):
    plaintiff = make.organization(name="甲科技公司")
    defendant = make.organization(name="乙电子公司")
    db.session.commit()
    return plaintiff, defendant


def with_parties(parties, roles=("plaintiff", "defendant")):
    return [{"organization_id": org.id, "role": role}
            for org, role in zip(parties, roles, strict=True)]


def test_an_appeal_without_its_first_instance_is_filed_with_a_warning_and_suggestions(
        client, world, as_, parties):
    first = post_case(client, as_, number="（2024）沪73知民初55号", fields=["H04W", "H04L"],
                      parties=with_parties(parties))
    assert first.status_code == 201
    unrelated = post_case(client, as_, number="（2024）沪73知民初56号", fields=["A61K"],
                          parties=with_parties(parties))
    assert unrelated.status_code == 201
    appeal = post_case(client, as_, number="（2025）沪73知民终9号", fields=["H04W"],
                       parties=with_parties(parties, ("appellant", "appellee")))
    assert appeal.status_code == 201, appeal.get_json()
    body = appeal.get_json()
    assert [w["rule"] for w in body["warnings"]] == ["one_procedure"]
    assert [s["id"] for s in body["earlier_stage_suggestions"]] == [first.get_json()["id"]]
    again = client.get(f"/api/v1/cases/{body['id']}", headers=as_("clerk_sh"))
    assert [s["number"] for s in again.get_json()["earlier_stage_suggestions"]] == \
        ["（2024）沪73知民初55号"]


def test_a_linked_appeal_and_a_first_instance_carry_no_warning(client, world, as_):
    first = client.get(f"/api/v1/cases/{world.sh_case.id}", headers=as_("clerk_sh"))
    assert first.get_json()["warnings"] == []
    appeal = post_case(client, as_, number="（2025）沪73知民终3号",
                       earlier_stage_id=world.sh_case.id)
    assert appeal.get_json()["warnings"] == []


# -- who may link an earlier stage ------------------------------------------------------------

@pytest.fixture
def courts(make, world):
    """Shanghai's high court over the Shanghai IP Court, Jiangsu's over a Nanjing court, the
    SPC over all, and a clerk for each."""
    sh_high = make.body("shanghai", name="上海市高级人民法院", case_number_code="沪",
                        court_level="high")
    world.sh_court.court_level = "specialised_intermediate"
    js_court = make.body("nanjing", name="南京知识产权法庭", case_number_code="苏01",
                         court_level="intermediate")
    js_case = make.case(body=js_court, number="（2024）苏01知民初5号")
    spc = make.body("shanghai", name="最高人民法院知识产权法庭",
                    case_number_code="最高法", court_level="supreme")
    clerks = {name: make.user(UserRole.CLERK, body_id=body.id)
              for name, body in (("sh_high", sh_high), ("spc", spc), ("js", js_court))}
    db.session.commit()
    return {"sh_high": sh_high, "spc": spc, "js_court": js_court, "js_case": js_case,
            "clerks": clerks}


def as_clerk(make, courts, name):
    return make.token_for(courts["clerks"][name])


def test_a_high_court_clerk_links_its_appeal_to_the_lower_courts_case(client, world, make,
                                                                     courts):
    response = client.post("/api/v1/cases", headers=as_clerk(make, courts, "sh_high"),
                           json=new_case(number="（2025）沪知民终3号",
                                         earlier_stage_id=world.sh_case.id))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["earlier_stage_id"] == world.sh_case.id


def test_a_high_court_clerk_cannot_link_another_provinces_case(client, world, make, courts):
    response = client.post("/api/v1/cases", headers=as_clerk(make, courts, "sh_high"),
                           json=new_case(number="（2025）沪知民终3号",
                                         earlier_stage_id=courts["js_case"].id))
    assert response.status_code == 422
    assert "earlier_stage_id" in errors_of(response)


def test_a_lower_court_clerk_cannot_link_a_peer_courts_case(client, world, make, courts):
    response = client.post("/api/v1/cases", headers=as_clerk(make, courts, "js"),
                           json=new_case(number="（2025）苏01知民终3号",
                                         earlier_stage_id=world.sh_case.id))
    assert response.status_code == 422
    assert "earlier_stage_id" in errors_of(response)


def test_the_spc_clerk_links_an_appeal_to_any_mainland_courts_case(client, world, make, courts):
    for earlier, number in ((world.sh_case, "（2025）最高法知民终3号"),
                            (courts["js_case"], "（2025）最高法知民终4号")):
        response = client.post("/api/v1/cases", headers=as_clerk(make, courts, "spc"),
                               json=new_case(number=number, earlier_stage_id=earlier.id))
        assert response.status_code == 201, response.get_json()


def test_linking_later_through_the_api_is_audited_and_clears_the_warning(client, world, make,
                                                                        courts, as_):
    appeal = client.post("/api/v1/cases", headers=as_clerk(make, courts, "sh_high"),
                         json=new_case(number="（2025）沪知民终3号"))
    assert appeal.get_json()["warnings"]
    case_id = appeal.get_json()["id"]
    linked = client.put(f"/api/v1/cases/{case_id}/earlier-stage",
                        headers=as_clerk(make, courts, "sh_high"),
                        json={"earlier_stage_id": world.sh_case.id})
    assert linked.status_code == 200, linked.get_json()
    assert linked.get_json()["earlier_stage_id"] == world.sh_case.id
    assert linked.get_json()["warnings"] == []


def test_a_coordinator_links_across_its_region(client, world, as_, courts):
    appeal = post_case(client, as_, who="coordinator_yrd", number="（2025）沪73知民终8号",
                       handling_body_id=world.sh_court.id,
                       earlier_stage_id=courts["js_case"].id)
    assert appeal.status_code == 201, appeal.get_json()


def test_a_coordinator_cannot_link_a_case_outside_its_region(client, world, as_, courts):
    appeal = post_case(client, as_, who="coordinator_sh", number="（2025）沪73知民终8号",
                       handling_body_id=world.sh_court.id,
                       earlier_stage_id=courts["js_case"].id)
    assert appeal.status_code == 422
    assert "earlier_stage_id" in errors_of(appeal)


def test_a_case_cannot_be_linked_into_a_cycle(client, world, make, courts, as_):
    appeal = client.post("/api/v1/cases", headers=as_clerk(make, courts, "sh_high"),
                         json=new_case(number="（2025）沪知民终3号",
                                       earlier_stage_id=world.sh_case.id)).get_json()
    looped = client.put(f"/api/v1/cases/{world.sh_case.id}/earlier-stage",
                        headers=as_("admin"), json={"earlier_stage_id": appeal["id"]})
    assert looped.status_code == 422
    assert "earlier_stage_id" in errors_of(looped)


# -- causes of action and the case types open to technical investigators -----------------------

@pytest.fixture
def causes(app):
    load_causes()
    db.session.commit()


def test_a_case_carries_a_seeded_cause_of_action(client, world, as_, causes):
    response = post_case(client, as_, cause="patent_invention_infringement")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["cause"] == "patent_invention_infringement"
    assert response.get_json()["investigators_allowed"] is True


def test_a_page_of_cases_reads_their_causes_with_them(client, world, as_, make, causes):
    # Each case's warnings ask whether investigators may serve its cause: a page of cases of
    # several causes cost a statement per cause before they were loaded with the page.
    from tests.statements import recording_statements

    clerk = as_("clerk_sh")

    def page_statements() -> tuple[int, set]:
        with recording_statements() as seen:
            response = client.get("/api/v1/cases", headers=clerk)
        assert response.status_code == 200
        return len(seen), {case["cause"] for case in response.get_json()["items"]}

    make.case(body=world.sh_court, cause_code="patent_invention_infringement")
    db.session.commit()
    one_cause = page_statements()
    for cause in ("trademark_infringement", "copyright_infringement", "patent_ownership"):
        make.case(body=world.sh_court, cause_code=cause)
    db.session.commit()
    four_causes = page_statements()
    assert len(four_causes[1] - {None}) == 4
    assert four_causes[0] == one_cause[0]


def test_an_unknown_cause_is_refused_naming_the_cause(client, world, as_, causes):
    response = post_case(client, as_, cause="no_such_cause")
    assert response.status_code == 422
    assert "cause" in errors_of(response)


def test_a_cause_of_another_kind_of_case_is_refused(client, world, as_, causes):
    response = post_case(client, as_, cause="adj_patent_infringement")
    assert response.status_code == 422
    assert "cause" in errors_of(response)


def request_on(case_id, role="investigator", seats=1):
    return {"case_id": case_id, "role": role, "seats": seats,
            "service": "arbitration" if role == "arbitrator" else "written_opinion"}


@pytest.mark.parametrize("cause", ["trademark_infringement", "copyright_infringement",
                                   "unfair_competition"])
def test_an_investigator_request_on_a_case_type_outside_art_1_is_refused(client, world, as_,
                                                                         causes, cause):
    case = post_case(client, as_, cause=cause).get_json()
    response = client.post("/api/v1/requests", headers=as_("clerk_sh"),
                           json=request_on(case["id"]))
    assert response.status_code == 422, response.get_json()
    assert "role" in errors_of(response)
    assert rules.rule("case_type").title_en in response.get_json()["message"]  # in words
    assert "SPC 2019 Art. 1" in response.get_json()["message"]
    assert case["investigators_allowed"] is False


@pytest.mark.parametrize("cause", ["patent_invention_infringement", "software_copyright",
                                   "technical_secret", "plant_variety", "ic_layout",
                                   "monopoly"])
def test_an_investigator_request_on_an_art_1_case_type_is_accepted(client, world, as_,
                                                                   causes, cause):
    case = post_case(client, as_, cause=cause).get_json()
    response = client.post("/api/v1/requests", headers=as_("clerk_sh"),
                           json=request_on(case["id"]))
    assert response.status_code == 201, response.get_json()


def test_administrative_adjudication_opens_investigators_to_patent_and_ic_only(
        client, world, as_, causes, make):
    office = make.body("shanghai", kind=OrganizationKind.IP_ADMINISTRATION, name="上海市知识产权局",
                       case_number_code=None)
    db.session.commit()
    for cause, number, expected in (("adj_patent_infringement", "沪知局裁字〔2025〕1号", 201),
                                    ("adj_trademark", "沪知局裁字〔2025〕2号", 422)):
        case = post_case(client, as_, who="admin", cause=cause, number=number,
                         kind="administrative_adjudication", handling_body_id=office.id)
        assert case.status_code == 201, case.get_json()
        response = client.post("/api/v1/requests", headers=as_("admin"),
                               json=request_on(case.get_json()["id"]))
        assert response.status_code == expected, response.get_json()


def test_arbitrator_requests_are_not_limited_by_case_type(client, world, as_, causes):
    case = post_case(client, as_, who="clerk_gd", cause="trademark_infringement",
                     number="（2025）深国仲受5号", kind="arbitration")
    assert case.status_code == 201, case.get_json()
    response = client.post("/api/v1/requests", headers=as_("clerk_gd"),
                           json=request_on(case.get_json()["id"], "arbitrator", 3))
    assert response.status_code == 201, response.get_json()


def test_a_case_without_a_recorded_cause_still_takes_investigators(client, world, as_):
    assert world.sh_case.cause_code is None
    response = client.post("/api/v1/requests", headers=as_("clerk_sh"),
                           json=request_on(world.sh_case.id))
    assert response.status_code == 201, response.get_json()


def test_first_instance_stage_default_is_kept_for_the_factory(world):
    assert world.sh_case.stage is CaseStage.FIRST_INSTANCE
