"""The court clerk's pages: lists, filing a case and a request, the request page, cancelling
and marking work done."""

import itertools
import re

from sqlalchemy import select

from registry.extensions import db
from registry.models import AuditEvent, Case, DispatchRequest, Organization, Party, RequestStatus

NEW_NUMBER = "（2025）沪73知民初555号"


def case_form(world, **overrides) -> dict:
    data = {"kind": "civil", "stage": "first_instance", "number": NEW_NUMBER,
            "title": "发明专利侵权", "fields": ["G06F", "H04L"],
            "parties-0-organization_id": str(world.sh_court.id + 100),  # replaced below
            "parties-0-role": "plaintiff"}
    data.update(overrides)
    return data


def a_company(make, name="华芯科技有限公司", name_en="Huaxin Tech Ltd"):
    from registry.models import OrganizationKind

    company = make.body("shanghai", kind=OrganizationKind.COMPANY, name=name, name_en=name_en,
                        case_number_code=None)
    db.session.commit()
    return company


def test_signing_in_lands_a_clerk_on_its_requests(client, world, sign_in):
    sign_in("clerk_sh")
    page = client.get("/", follow_redirects=True)
    assert page.request.path == "/clerk/"
    assert world.sh_case.number in page.get_data(as_text=True)
    assert world.gd_case.number not in page.get_data(as_text=True)


def test_a_wrong_password_is_refused_and_audited(client, world):
    response = client.post("/sign-in", data={"email": world.users["clerk_sh"].email,
                                              "password": "wrong password"})
    assert response.status_code == 422
    assert f'value="{world.users["clerk_sh"].email}"' in response.get_data(as_text=True)
    assert db.session.query(AuditEvent).filter_by(action="auth.sign_in_failed").count() == 1


def test_sign_in_and_out_are_audited(client, world, sign_in):
    sign_in("clerk_sh")
    assert client.post("/sign-out").status_code == 302
    actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert actions[-2:] == ["auth.sign_in", "auth.sign_out"]
    assert client.get("/clerk/").status_code == 302  # signed out: back to the sign-in page


def test_pages_require_sign_in(client, world):
    response = client.get("/clerk/cases")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_filing_a_case_through_the_form(client, world, make, sign_in):
    company = a_company(make)
    sign_in("clerk_sh")
    response = client.post("/clerk/cases/new", data=case_form(
        world, **{"parties-0-organization_id": str(company.id)}))
    assert response.status_code == 302
    case = db.session.query(Case).filter_by(number=NEW_NUMBER).one()
    assert case.handling_body_id == world.sh_court.id  # preset to the clerk's own body
    assert case.field_codes == ["G06F", "H04L"]
    assert [p.organization_id for p in case.parties] == [company.id]


def test_a_wrong_case_number_comes_back_with_the_other_values_kept(client, world, make,
                                                                    sign_in):
    company = a_company(make)
    sign_in("clerk_sh")
    response = client.post("/clerk/cases/new", data=case_form(
        world, number="2025沪73民初5号", **{"parties-0-organization_id": str(company.id)}),
        headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="number-error"' in html and 'aria-invalid="true"' in html
    assert "is not a court case number" in html
    assert 'value="发明专利侵权"' in html  # the title typed is kept
    assert "华芯科技有限公司" in html    # and so is the party picked
    assert db.session.query(Case).filter_by(title="发明专利侵权").count() == 0


def test_a_missing_party_role_is_shown_on_that_row(client, world, make, sign_in):
    company = a_company(make)
    sign_in("clerk_sh")
    data = case_form(world, **{"parties-0-organization_id": str(company.id)})
    del data["parties-0-role"]
    html = client.post("/clerk/cases/new", data=data).get_data(as_text=True)
    assert 'id="parties-0-role-error"' in html


def test_a_case_without_a_technical_field_says_to_choose_one(client, world, make, sign_in):
    company = a_company(make)
    sign_in("clerk_sh")
    data = case_form(world, fields=[], **{"parties-0-organization_id": str(company.id)})
    response = client.post("/clerk/cases/new", data=data)
    assert response.status_code == 422
    assert "请选择 1 至 20 个技术领域" in response.get_data(as_text=True).split(
        'id="fields-error"')[1]


def test_the_case_number_is_checked_as_it_is_typed(client, world, sign_in):
    sign_in("clerk_sh")
    wrong = client.post("/clerk/cases/check-number", data={"number": "（2025）沪73知民初0号",
                                                           "kind": "civil"})
    assert 'role="alert"' in wrong.get_data(as_text=True)
    right = client.post("/clerk/cases/check-number", data={"number": "(2025)沪73知民初9号",
                                                           "kind": "civil"})
    assert "（2025）沪73知民初9号" in right.get_data(as_text=True)
    assert 'role="alert"' not in right.get_data(as_text=True)
    taken = client.post("/clerk/cases/check-number", data={"number": world.sh_case.number,
                                                           "kind": "civil"})
    assert 'role="alert"' in taken.get_data(as_text=True)


def test_another_courts_code_in_the_number_is_refused_as_typed(client, world, sign_in):
    sign_in("clerk_sh")
    html = client.post("/clerk/cases/check-number", data={
        "number": "（2025）京73知民初9号", "kind": "civil"}).get_data(as_text=True)
    assert 'role="alert"' in html


def test_ipc_fields_are_found_by_code_and_by_chinese_or_english_title(client, world, make,
                                                                       sign_in):
    from registry.models import IpcField

    db.session.add_all([
        IpcField(code="G06F", level="subclass", title_en="Electric digital data processing",
                 title_zh="电数字数据处理"),
        IpcField(code="H04L", level="subclass", title_en="Transmission of digital information",
                 title_zh="数字信息的传输")])
    db.session.commit()
    sign_in("clerk_sh")
    assert [o["value"] for o in client.get("/clerk/search/ipc?q=g06").json] == ["G06F"]
    assert [o["value"] for o in client.get("/clerk/search/ipc?q=数字信息").json] == ["H04L"]
    assert [o["value"] for o in client.get("/clerk/search/ipc?q=digital DATA").json] == ["G06F"]


def test_parties_are_found_by_chinese_or_english_name_but_courts_are_not(client, world, make,
                                                                        sign_in):
    company = a_company(make)
    sign_in("clerk_sh")
    assert [o["value"] for o in client.get("/clerk/search/organizations?q=华芯").json] == \
        [str(company.id)]
    assert [o["value"] for o in client.get("/clerk/search/organizations?q=huaxin").json] == \
        [str(company.id)]
    assert client.get("/clerk/search/organizations?q=上海知识产权法院").json == []


def test_a_missing_party_is_created_inline_once(client, world, sign_in):
    sign_in("clerk_sh")
    first = client.post("/clerk/organizations", data={"name": "新创公司"})
    again = client.post("/clerk/organizations", data={"name": "新创公司"})
    assert first.status_code == again.status_code == 201
    assert first.json["value"] == again.json["value"]
    assert db.session.query(Organization).filter_by(name="新创公司").count() == 1
    assert client.post("/clerk/organizations", data={"name": ""}).status_code == 422


def test_the_earlier_stage_is_found_only_among_the_clerks_own_cases(client, world, sign_in):
    sign_in("clerk_sh")
    assert [o["value"] for o in client.get("/clerk/search/cases?q=沪73").json] == \
        [str(world.sh_case.id)]
    assert client.get("/clerk/search/cases?q=深国仲").json == []


def test_requesting_an_investigator(client, world, sign_in):
    sign_in("clerk_sh")
    response = client.post(f"/clerk/cases/{world.sh_case.id}/requests/new", data={
        "role": "investigator", "seats": "1", "service": "hearing", "priority": "2",
        "days-0-start": "2026-12-01", "days-0-end": "2026-12-02", "remote_allowed": "true"})
    assert response.status_code == 302
    created = db.session.query(DispatchRequest).order_by(DispatchRequest.id.desc()).first()
    assert created.status is RequestStatus.SUBMITTED
    assert created.remote_allowed and created.priority == 2
    assert [(d.start.isoformat(), d.end.isoformat()) for d in created.days] == \
        [("2026-12-01", "2026-12-02")]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2026-12-01" in page


def test_two_seats_for_an_investigator_are_refused_beside_the_field(client, world, sign_in):
    sign_in("clerk_sh")
    before = db.session.query(DispatchRequest).count()
    response = client.post(f"/clerk/cases/{world.sh_case.id}/requests/new", data={
        "role": "investigator", "seats": "2", "service": "hearing"})
    assert response.status_code == 422
    assert 'id="seats-error"' in response.get_data(as_text=True)
    assert db.session.query(DispatchRequest).count() == before


def test_days_ending_before_they_start_are_refused_on_that_row(client, world, sign_in):
    sign_in("clerk_sh")
    response = client.post(f"/clerk/cases/{world.sh_case.id}/requests/new", data={
        "role": "investigator", "service": "hearing",
        "days-0-start": "2026-12-05", "days-0-end": "2026-12-01"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="days-0-end-error"' in html and 'value="2026-12-05"' in html


def test_the_request_page_shows_assigned_experts_but_never_their_contacts(client, world,
                                                                          sign_in):
    world.sh_expert.email, world.sh_expert.phone = "zhang@example.cn", "13800000000"
    db.session.commit()
    sign_in("clerk_sh")
    html = client.get(f"/clerk/requests/{world.sh_request.id}").get_data(as_text=True)
    assert "张伟" in html and "G06F" in html
    assert "zhang@example.cn" not in html and "13800000000" not in html


def test_a_clerk_cannot_open_another_bodys_case_or_request(client, world, sign_in):
    sign_in("clerk_sh")
    for url in (f"/clerk/cases/{world.gd_case.id}", f"/clerk/requests/{world.gd_request.id}",
                f"/clerk/cases/{world.gd_case.id}/requests/new",
                f"/clerk/requests/{world.gd_request.id}/cancel"):
        response = client.get(url)
        # Another body's rows are out of sight: the answer a missing row gets.
        assert response.status_code == 404, url
        assert world.gd_case.number not in response.get_data(as_text=True)


def test_a_clerk_cannot_cancel_another_bodys_request(client, world, sign_in):
    sign_in("clerk_sh")
    assert client.post(f"/clerk/requests/{world.gd_request.id}/cancel").status_code == 404
    db.session.refresh(world.gd_request)
    assert world.gd_request.status is RequestStatus.SUBMITTED


def test_cancelling_asks_first_then_cancels(client, world, sign_in):
    sign_in("clerk_sh")
    question = client.get(f"/clerk/requests/{world.sh_request.id}/cancel")
    assert question.status_code == 200 and 'id="confirm-cancel"' in question.get_data(True)
    db.session.refresh(world.sh_request)
    assert world.sh_request.status is not RequestStatus.CANCELLED
    assert client.post(f"/clerk/requests/{world.sh_request.id}/cancel").status_code == 302
    db.session.refresh(world.sh_request)
    assert world.sh_request.status is RequestStatus.CANCELLED


def accepted_work(client, world, as_):
    """The world's proposal confirmed by the coordinator and accepted by its expert."""
    base = f"/api/v1/assignments/{world.proposal.id}"
    assert client.post(f"{base}/confirm", headers=as_("coordinator_yrd")).status_code == 200
    assert client.post(f"{base}/accept", headers=as_("expert_sh")).status_code == 200


def test_marking_the_work_done_asks_first_then_releases_the_expert(client, world, sign_in,
                                                                   as_):
    accepted_work(client, world, as_)
    sign_in("clerk_sh")
    page = client.get(f"/clerk/requests/{world.sh_request.id}").get_data(as_text=True)
    assert f"/clerk/requests/{world.sh_request.id}/complete" in page
    question = client.get(f"/clerk/requests/{world.sh_request.id}/complete")
    assert question.status_code == 200 and 'id="confirm-complete"' in question.get_data(True)
    assert 'id="days-to-come"' not in question.get_data(True)  # its days (2025) are past
    db.session.refresh(world.sh_request)
    assert world.sh_request.status is RequestStatus.ACCEPTED
    assert client.post(f"/clerk/requests/{world.sh_request.id}/complete").status_code == 302
    db.session.refresh(world.sh_request)
    db.session.refresh(world.proposal)
    assert world.sh_request.status is RequestStatus.COMPLETED
    assert world.proposal.status.value == "completed"  # no longer counts towards the load
    page = client.get(f"/clerk/requests/{world.sh_request.id}").get_data(as_text=True)
    history = page.split('class="history"')[1].split("</ol>")[0]
    assert history.count("已完成") == 2  # the seat's work, then the request: said once each
    assert db.session.scalar(select(AuditEvent).filter_by(
        entity="dispatch_request", entity_id=str(world.sh_request.id), action="complete"))


def test_work_not_yet_accepted_cannot_be_marked_done(client, world, sign_in):
    sign_in("clerk_sh")
    page = client.get(f"/clerk/requests/{world.sh_request.id}").get_data(as_text=True)
    assert "/complete" not in page  # no button before acceptance
    asked = client.get(f"/clerk/requests/{world.sh_request.id}/complete")
    assert asked.status_code == 302  # back to the request, saying only accepted work can
    refused = client.post(f"/clerk/requests/{world.sh_request.id}/complete")
    assert refused.status_code == 409 and refused.mimetype == "text/html"
    db.session.refresh(world.sh_request)
    assert world.sh_request.status is RequestStatus.PROPOSED  # as the world left it


def test_a_clerk_cannot_mark_another_bodys_work_done(client, world, sign_in):
    sign_in("clerk_sh")
    for method in (client.get, client.post):
        assert method(f"/clerk/requests/{world.gd_request.id}/complete").status_code == 404
    db.session.refresh(world.gd_request)
    assert world.gd_request.status is RequestStatus.SUBMITTED


def test_the_history_tells_seat_events_from_the_requests_own(client, world, sign_in, as_):
    base = f"/api/v1/assignments/{world.proposal.id}"
    assert client.post(f"{base}/confirm", headers=as_("coordinator_yrd")).status_code == 200
    assert client.post(f"{base}/decline", headers=as_("expert_sh"),
                       json={"reason": "出差"}).status_code == 200
    sign_in("clerk_sh")
    html = client.get(f"/clerk/requests/{world.sh_request.id}?lang=en").get_data(as_text=True)
    history = html.split('class="history"')[1].split("</ol>")[0]
    assert "an expert confirmed" in history and "the expert declined" in history
    assert "seat." not in history
    # Each status is shown where the request moves to it, not again at every event.
    statuses = re.findall(r'class="status status-[^"]*">([^<]+)<', history)
    assert statuses and all(a != b for a, b in itertools.pairwise(statuses)), statuses


def test_an_ended_request_says_so_and_asks_nothing_more(client, world, sign_in):
    sign_in("clerk_sh")
    client.post(f"/clerk/requests/{world.sh_request.id}/cancel")
    page = client.get(f"/clerk/requests/{world.sh_request.id}").get_data(as_text=True)
    assert "没有在任的专家" in page and "将由区域协调员调派" not in page
    for step in ("cancel", "complete"):
        asked = client.get(f"/clerk/requests/{world.sh_request.id}/{step}")
        assert asked.status_code == 302
        assert asked.headers["Location"].endswith(f"/clerk/requests/{world.sh_request.id}")
    again = client.post(f"/clerk/requests/{world.sh_request.id}/cancel")
    assert again.status_code == 409
    assert "的状态已是“已撤销”" in again.get_data(as_text=True)


def test_a_hearing_without_attendance_days_is_refused_beside_the_days(client, world, sign_in):
    sign_in("clerk_sh")
    before = db.session.query(DispatchRequest).count()
    response = client.post(f"/clerk/cases/{world.sh_case.id}/requests/new", data={
        "role": "investigator", "service": "on_site_inspection", "note": "现场勘验生产线"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="days-error"' in html and "现场勘验生产线" in html  # the note is kept
    assert db.session.query(DispatchRequest).count() == before


def test_one_expert_named_twice_among_the_challenged_is_said_so(client, world, sign_in):
    sign_in("clerk_sh")
    before = db.session.query(DispatchRequest).count()
    expert = str(world.sh_expert.id)
    response = client.post(f"/clerk/cases/{world.sh_case.id}/requests/new?lang=en", data={
        "role": "investigator", "service": "written_opinion",
        "exclusions-0-expert_id": expert, "exclusions-0-reason": "challenge",
        "exclusions-1-expert_id": expert, "exclusions-1-reason": "recusal"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "each expert may be named once" in html.split('id="exclusions-error"')[1]
    assert "has not served" not in html
    assert db.session.query(DispatchRequest).count() == before


def test_a_request_form_sent_twice_makes_one_request(client, world, sign_in):
    """The browser's Back refills the form and a second submit sends it again."""
    sign_in("clerk_sh")
    url = f"/clerk/cases/{world.sh_case.id}/requests/new"
    form = {"role": "investigator", "service": "hearing", "days-0-start": "2026-12-15",
            "days-0-end": "2026-12-15", "note": "返回后重复提交"}
    before = db.session.query(DispatchRequest).count()
    first = client.post(url, data=form)
    again = client.post(url, data=form)
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]  # to the same request
    assert db.session.query(DispatchRequest).count() == before + 1
    other = client.post(url, data=form | {"note": "第二位专家的另一场庭审"})
    assert other.status_code == 302 and other.headers["Location"] != first.headers["Location"]
    assert db.session.query(DispatchRequest).count() == before + 2


def test_a_request_filed_with_past_days_says_so(client, world, sign_in):
    sign_in("clerk_sh")
    filed = client.post(f"/clerk/cases/{world.sh_case.id}/requests/new", data={
        "role": "investigator", "service": "hearing", "days-0-start": "2025-03-05",
        "days-0-end": "2025-03-06"}, follow_redirects=True)
    assert "部分到场日期已过（2025-03-05）" in filed.get_data(as_text=True)


def test_missing_rows_are_404_pages(client, world, sign_in):
    sign_in("clerk_sh")
    assert client.get("/clerk/cases/999999").status_code == 404
    assert client.get(f"/clerk/requests/{10**12}").status_code == 404


def test_other_roles_are_refused_the_clerk_pages(client, world, sign_in):
    sign_in("expert_sh")
    assert client.get("/clerk/").status_code == 403


def test_the_request_list_filters_by_status(client, world, sign_in):
    sign_in("clerk_sh")
    html = client.get("/clerk/?status=cancelled").get_data(as_text=True)
    assert world.sh_case.number not in html
    html = client.get("/clerk/?status=nonsense").get_data(as_text=True)  # ignored, not a 500
    assert world.sh_case.number in html


def test_a_form_without_its_csrf_token_is_refused_with_a_page(app, client, world, sign_in):
    sign_in("clerk_sh")
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/clerk/requests/{world.sh_request.id}/cancel")
    assert response.status_code == 400 and response.mimetype == "text/html"
    db.session.refresh(world.sh_request)
    assert world.sh_request.status is not RequestStatus.CANCELLED


def test_a_page_session_does_not_open_the_api(client, world, sign_in):
    """The API is exempt from CSRF, so it must not take the session cookie: tokens only."""
    sign_in("expert_sh")
    assert client.get(f"/api/v1/experts/{world.sh_expert.id}").status_code == 401
    response = client.post(f"/api/v1/assignments/{world.proposal.id}/decline",
                           json={"reason": "forged from another site"})
    assert response.status_code == 401
    db.session.refresh(world.proposal)
    assert world.proposal.status.value == "proposed"


def test_nul_characters_in_a_form_or_filter_are_refused_not_stored(client, world, sign_in):
    sign_in("clerk_sh")
    response = client.post("/clerk/cases/new", data={"kind": "civil", "title": "a\x00b",
                                                     "number": NEW_NUMBER, "fields": ["G06F"]})
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert db.session.query(Case).filter_by(number=NEW_NUMBER).count() == 0
    assert client.get("/clerk/?number=%00").status_code == 422
    assert client.get("/clerk/search/organizations?q=%00").status_code == 422


def test_a_clerk_can_challenge_only_an_expert_the_case_has_met(client, world, sign_in):
    sign_in("clerk_sh")
    url = f"/clerk/cases/{world.sh_case.id}/requests/new"
    base = {"role": "investigator", "service": "written_opinion",
            "exclusions-0-reason": "challenge"}
    before = db.session.query(DispatchRequest).count()
    for stranger in (world.gd_expert.id, world.js_expert.id, 987654):
        response = client.post(url, data={**base, "exclusions-0-expert_id": str(stranger)})
        assert response.status_code == 422
        assert 'id="exclusions-error"' in response.get_data(as_text=True)
    assert db.session.query(DispatchRequest).count() == before
    met = client.post(url, data={**base, "exclusions-0-expert_id": str(world.sh_expert.id)})
    assert met.status_code == 302


def test_a_clerk_cannot_record_a_decline_in_an_experts_name(client, world, as_):
    response = client.post(f"/api/v1/requests/{world.sh_request.id}/exclusions",
                           headers=as_("clerk_sh"),
                           json={"expert_id": world.sh_expert.id, "reason": "declined"})
    assert response.status_code == 422
    assert "reason" in response.get_json()["errors"]["json"]


def test_a_message_lands_on_the_row_that_was_filled_in_not_on_an_empty_one(client, world,
                                                                          sign_in):
    sign_in("clerk_sh")
    response = client.post(f"/clerk/cases/{world.sh_case.id}/requests/new", data={
        "role": "investigator", "service": "hearing", "days-0-start": "", "days-0-end": "",
        "days-1-start": "2026-03-05", "days-1-end": "2026-03-01"})
    html = response.get_data(as_text=True)
    assert 'id="days-1-end-error"' in html and 'id="days-0-end-error"' not in html


def test_an_inline_party_name_is_trimmed_and_a_blank_one_refused(client, world, sign_in):
    sign_in("clerk_sh")
    blank = client.post("/clerk/organizations", data={"name": "  \u3000 "},
                        headers={"Accept": "application/json"})
    assert blank.status_code == 422 and "name" in blank.get_json()["errors"]["json"]
    first = client.post("/clerk/organizations", data={"name": "华芯 "})
    again = client.post("/clerk/organizations", data={"name": " 华芯"})
    assert first.json["value"] == again.json["value"]
    assert db.session.query(Organization).filter_by(name="华芯").count() == 1


def test_a_request_without_audit_events_still_shows_when_it_was_filed(client, world, sign_in):
    sign_in("clerk_sh")
    html = client.get(f"/clerk/requests/{world.sh_request.id}").get_data(as_text=True)
    history = html[html.index('<ol class="history">'):]
    history = history[:history.index("</ol>")]
    assert "<li>" in history and "<time" in history


# -- the case page: each fact once -------------------------------------------------------------

def case_page_sections(client, world, make, sign_in) -> tuple[str, str, str]:
    """The case page of （2024）沪73知民初101号 with an organisation and a natural person as
    parties, the cause recorded: (whole page, facts list, natural-persons section)."""
    import re

    from registry.models import PartyRole
    from registry.services import persons
    from registry.services.causes import load_causes

    load_causes()
    company = a_company(make, name="华芯科技有限公司")
    world.sh_case.cause_code = "patent_invention_infringement"
    world.sh_case.parties = [Party(organization=company, role=PartyRole.DEFENDANT)]
    persons.add_person_party(world.sh_case, {"name": "王芳", "role": PartyRole.PLAINTIFF},
                             world.users["admin"])
    db.session.commit()
    sign_in("clerk_sh")
    html = client.get(f"/clerk/cases/{world.sh_case.id}").get_data(as_text=True)
    facts = re.findall(r'<dl class="facts">(.*?)</dl>', html, re.S)
    persons_section = re.search(r'<section id="natural-persons">(.*?)</section>', html, re.S)
    assert len(facts) == 1, "the case's facts are one list"
    return html, facts[0], persons_section.group(1)


def test_the_cause_of_action_is_in_the_one_facts_list(client, world, make, sign_in):
    _html, facts, _persons = case_page_sections(client, world, make, sign_in)
    assert "案由" in facts and "侵害发明专利权纠纷" in facts
    assert facts.index("案由") < facts.index("技术领域")


def test_the_persons_section_lists_natural_persons_only(client, world, make, sign_in):
    html, facts, persons_section = case_page_sections(client, world, make, sign_in)
    assert "华芯科技有限公司" in facts and "王芳" in facts
    assert "王芳" in persons_section
    assert "华芯科技有限公司" not in persons_section
    assert html.count("华芯科技有限公司") == 1 + html.count("华芯科技有限公司 的个人委托代理人")


def test_the_twice_named_expert_message_is_in_chinese(client, world, sign_in):
    sign_in("clerk_sh")
    expert = str(world.sh_expert.id)
    response = client.post(f"/clerk/cases/{world.sh_case.id}/requests/new", data={
        "role": "investigator", "service": "written_opinion",
        "exclusions-0-expert_id": expert, "exclusions-0-reason": "challenge",
        "exclusions-1-expert_id": expert, "exclusions-1-reason": "recusal"})
    assert "每位专家只能列出一次" in response.get_data(as_text=True)
