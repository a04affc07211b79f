"""The clerk's pages for issue 9 item 5: the stage taken from the number, the warning on an
appeal without its first instance with one-click links, causes of action, the investigator
role withheld where rule `case_type` closes it."""

from registry.extensions import db
from registry.models import Case
from registry.services.causes import load_causes


def form(**overrides) -> dict:
    data = {"kind": "civil", "stage": "", "number": "（2025）沪73知民终77号",
            "fields": ["H04W"]}
    data.update(overrides)
    return data


def test_the_form_takes_the_stage_from_the_number(client, world, sign_in):
    sign_in("clerk_sh")
    response = client.post("/clerk/cases/new", data=form())
    assert response.status_code == 302, response.get_data(as_text=True)
    case = db.session.query(Case).filter_by(number="（2025）沪73知民终77号").one()
    assert case.stage.value == "second_instance"


def test_a_contradicting_stage_comes_back_next_to_the_stage(client, world, sign_in):
    sign_in("clerk_sh")
    response = client.post("/clerk/cases/new", data=form(stage="first_instance"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="stage-error"' in html
    assert "（2025）沪73知民终77号" in html  # the values are kept


def test_the_case_page_warns_of_a_missing_first_instance_and_links_it_in_one_click(
        client, world, make, sign_in):
    company = make.organization(name="甲科技公司")
    world.sh_case.parties = []
    db.session.commit()
    sign_in("clerk_sh")
    client.post("/clerk/cases/new", data=form(**{"parties-0-organization_id": str(company.id),
                                                 "parties-0-role": "appellant"}))
    appeal = db.session.query(Case).filter_by(number="（2025）沪73知民终77号").one()
    first = make.case(body=world.sh_court, parties=[company], fields=("H04W",),
                      number="（2024）沪73知民初77号")
    db.session.commit()
    html = client.get(f"/clerk/cases/{appeal.id}").get_data(as_text=True)
    assert "one_procedure" in html or "一个审判程序" in html
    assert first.number in html
    # Besides the suggestions, any case of the registry by its number (a search picker).
    picker = html.split('id="link-earlier-form"')[1].split("</form>")[0]
    assert 'data-search-url="/clerk/search/cases"' in picker
    linked = client.post(f"/clerk/cases/{appeal.id}/earlier-stage",
                         data={"earlier_stage_id": str(first.id)})
    assert linked.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, appeal.id).earlier_stage_id == first.id
    html = client.get(f"/clerk/cases/{appeal.id}").get_data(as_text=True)
    assert "earlier-stage-warning" not in html


def test_the_request_form_offers_no_investigator_on_a_trademark_case(client, world, sign_in):
    load_causes()
    world.sh_case.cause_code = "trademark_infringement"
    db.session.commit()
    sign_in("clerk_sh")
    html = client.get(f"/clerk/cases/{world.sh_case.id}/requests/new").get_data(as_text=True)
    assert 'value="investigator"' not in html
    assert 'value="arbitrator"' not in html  # arbitrators sit on arbitration tribunals only
    assert 'value="consultant"' in html
    assert 'id="role-note"' in html  # and the form says why there is no investigator


def test_a_court_case_cannot_request_arbitrators(client, world, as_):
    response = client.post("/api/v1/requests", headers=as_("clerk_sh"), json={
        "case_id": world.sh_case.id, "role": "arbitrator", "service": "written_opinion"})
    assert response.status_code == 422
    assert "role" in response.get_json()["errors"]["json"]


def test_the_case_form_offers_the_causes_of_action(client, world, sign_in):
    load_causes()
    db.session.commit()
    sign_in("clerk_sh")
    html = client.get("/clerk/cases/new").get_data(as_text=True)
    assert 'name="cause"' in html
    assert "侵害发明专利权纠纷" in html


def test_the_number_check_as_typed_names_a_contradicting_stage(client, world, sign_in):
    sign_in("clerk_sh")
    html = client.post("/clerk/cases/check-number", data={
        "number": "（2025）沪73知民终78号", "kind": "civil", "stage": "first_instance"},
        headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "field-error" in html
    right = client.post("/clerk/cases/check-number", data={
        "number": "（2025）沪73知民终78号", "kind": "civil", "stage": ""},
        headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "check-ok" in right


def test_a_hong_kong_court_number_is_refused_as_typed_at_a_mainland_court(client, world,
                                                                         sign_in):
    sign_in("clerk_sh")
    html = client.post("/clerk/cases/check-number", data={
        "number": "HCA 1234/2024", "kind": "civil"}).get_data(as_text=True)
    assert "field-error" in html
