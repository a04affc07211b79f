"""The console's expert record page: coordinators keep an expert's roles, fields, city,
appointment and status, and its credit records, through the API's schema and services."""

from datetime import date

from sqlalchemy import select

from registry.extensions import db
from registry.models import AuditEvent, CreditRecord, Expert, ExpertStatus


def record_url(expert) -> str:
    return f"/console/experts/{expert.id}/record"


def posted(expert, **changes) -> dict:
    """The record form as the page posts it unchanged, with `changes` applied."""
    data = {"name": expert.name, "roles": list(expert.role_names),
            "home_city": expert.home_city_code, "status": expert.status.value,
            "appointed_from": "", "appointed_until": "", "appointing_body_id": "",
            "languages": list(expert.language_codes), "max_concurrent": str(expert.max_concurrent),
            "max_travel_km": "", "email": "", "phone": ""}
    for index, field in enumerate(expert.fields):
        data[f"fields-{index}-code"] = field.ipc_code
        data[f"fields-{index}-proficiency"] = str(field.proficiency)
    data.update(changes)
    return data


def fresh(expert) -> Expert:
    db.session.expire_all()
    return db.session.get(Expert, expert.id)


def test_the_experts_list_links_each_record(client, world, sign_in):
    sign_in("coordinator_yrd")
    html = client.get("/console/experts").get_data(as_text=True)
    assert record_url(world.sh_expert) in html


def test_the_record_page_shows_the_record_as_it_is(client, world, sign_in):
    sign_in("coordinator_yrd")
    response = client.get(record_url(world.sh_expert))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="张伟"' in html
    assert 'id="roles-investigator" name="roles" value="investigator" checked' in html
    code = world.sh_expert.fields[0].ipc_code
    assert f'name="fields-0-code" value="{code}"' in html
    assert '<option value="shanghai" selected>' in html


def test_a_coordinator_renews_the_appointment_and_changes_fields(client, world, sign_in):
    sign_in("coordinator_yrd")
    data = posted(world.sh_expert, appointed_from="2026-01-01", appointed_until="2030-12-31",
                  **{"fields-0-code": "H04L", "fields-0-proficiency": "3",
                     "fields-1-code": "", "fields-1-proficiency": "2"})  # a blank row
    response = client.post(record_url(world.sh_expert), data=data)
    assert response.status_code == 302
    expert = fresh(world.sh_expert)
    assert (expert.appointed_from, expert.appointed_until) == (date(2026, 1, 1),
                                                               date(2030, 12, 31))
    assert [(f.ipc_code, f.proficiency) for f in expert.fields] == [("H04L", 3)]
    event = db.session.scalars(select(AuditEvent).filter_by(
        entity="expert", entity_id=str(expert.id), action="update")).one()
    assert event.after["appointed"] == ["2026-01-01", "2030-12-31"]


def test_a_term_that_ends_before_it_starts_is_refused_beside_its_field(client, world, sign_in):
    sign_in("coordinator_yrd")
    data = posted(world.sh_expert, name="张伟（改）", appointed_from="2027-01-01",
                  appointed_until="2026-01-01")
    response = client.post(record_url(world.sh_expert), data=data,
                           headers={"Accept-Language": "zh-CN"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="appointed_until-error"' in html
    assert 'value="张伟（改）"' in html and 'value="2027-01-01"' in html  # typed values kept
    expert = fresh(world.sh_expert)
    assert expert.name == "张伟" and expert.appointed_from is None  # nothing written


def test_emptying_every_field_is_refused_not_ignored(client, world, sign_in):
    sign_in("coordinator_yrd")
    # The blank rows under the fields post their proficiency too: still no field.
    data = posted(world.sh_expert, **{"fields-0-code": "", "fields-1-code": "",
                                      "fields-1-proficiency": "2"})
    response = client.post(record_url(world.sh_expert), data=data)
    assert response.status_code == 422
    assert 'id="fields-error"' in response.get_data(as_text=True)
    assert fresh(world.sh_expert).fields


def test_an_unknown_ipc_code_is_named_on_its_row(client, world, sign_in):
    sign_in("coordinator_yrd")
    data = posted(world.sh_expert, **{"fields-1-code": "Z99Z", "fields-1-proficiency": "2"})
    response = client.post(record_url(world.sh_expert), data=data)
    assert response.status_code == 422
    assert 'id="fields-1-code-error"' in response.get_data(as_text=True)


def test_suspending_the_expert_flags_the_seat_it_holds(client, world, sign_in):
    sign_in("coordinator_yrd")
    response = client.post(record_url(world.sh_expert),
                           data=posted(world.sh_expert, status="suspended"))
    assert response.status_code == 302
    assert fresh(world.sh_expert).status is ExpertStatus.SUSPENDED
    said = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "该专家已占的 1 个席位现已违反规则" in said
    db.session.refresh(world.proposal)
    assert world.proposal.open_flags


def test_a_coordinator_cannot_move_the_expert_out_of_its_region(client, world, sign_in):
    sign_in("coordinator_sh")
    response = client.post(record_url(world.sh_expert),
                           data=posted(world.sh_expert, home_city="shenzhen"))
    assert response.status_code == 403
    assert fresh(world.sh_expert).home_city_code == "shanghai"


def test_another_regions_coordinator_can_neither_read_nor_change_the_record(
        client, world, sign_in):
    sign_in("coordinator_gba")
    assert client.get(record_url(world.sh_expert)).status_code in (403, 404)
    response = client.post(record_url(world.sh_expert),
                           data=posted(world.sh_expert, status="retired"))
    assert response.status_code in (403, 404)
    assert client.post(f"/console/experts/{world.sh_expert.id}/credit-records",
                       data={"kind": "suspension", "start": "2026-01-01"}).status_code in (403, 404)
    assert fresh(world.sh_expert).status is ExpertStatus.ACTIVE
    assert not fresh(world.sh_expert).credit_records


def test_the_expert_itself_cannot_use_the_console_record(client, world, sign_in):
    sign_in("expert_sh")
    response = client.post(record_url(world.sh_expert),
                           data=posted(world.sh_expert, status="retired"))
    assert response.status_code == 403
    assert fresh(world.sh_expert).status is ExpertStatus.ACTIVE


def test_a_credit_record_is_added_and_audited(client, world, sign_in):
    sign_in("coordinator_yrd")
    response = client.post(f"/console/experts/{world.sh_expert.id}/credit-records",
                           data={"kind": "warning", "start": "2026-03-01",
                                 "description": "迟交技术审查意见"})
    assert response.status_code == 302
    entry = db.session.scalars(select(CreditRecord)).one()
    assert (entry.expert_id, entry.kind.value, entry.description) == (
        world.sh_expert.id, "warning", "迟交技术审查意见")
    assert db.session.scalars(select(AuditEvent).filter_by(action="record_credit")).one()
    assert "迟交技术审查意见" in client.get(record_url(world.sh_expert)).get_data(as_text=True)


def test_a_credit_record_with_bad_dates_is_refused_and_kept(client, world, sign_in):
    sign_in("coordinator_yrd")
    response = client.post(f"/console/experts/{world.sh_expert.id}/credit-records",
                           data={"kind": "suspension", "start": "2026-03-01",
                                 "end": "2026-02-01", "description": "停职"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="end-error"' in html and "停职" in html
    assert not db.session.scalars(select(CreditRecord)).all()


def test_the_record_page_renders_without_queries(app, client, world, sign_in):
    from tests.web.test_templates_never_query import statements_while_rendering

    sign_in("coordinator_yrd")
    client.post(f"/console/experts/{world.sh_expert.id}/credit-records",
                data={"kind": "note", "start": "2026-03-01"})
    with statements_while_rendering(app) as seen:
        assert client.get(record_url(world.sh_expert)).status_code == 200
    assert seen == []


def test_an_emptied_name_is_an_error_beside_it(client, world, sign_in):
    sign_in("coordinator_yrd")
    response = client.post(record_url(world.sh_expert),
                           data=posted(world.sh_expert, name="", status="retired"))
    assert response.status_code == 422
    assert 'id="name-error"' in response.get_data(as_text=True)
    assert fresh(world.sh_expert).status is ExpertStatus.ACTIVE


def test_a_lower_case_ipc_code_is_the_same_code_and_no_role_is_said_so(client, world, sign_in):
    sign_in("coordinator_yrd")
    saved = client.post(record_url(world.sh_expert), data=posted(
        world.sh_expert, **{"fields-0-code": "h04l", "fields-0-proficiency": "2"}))
    assert saved.status_code == 302
    assert [f.ipc_code for f in fresh(world.sh_expert).fields] == ["H04L"]
    roleless = posted(world.sh_expert)
    del roleless["roles"]
    refused = client.post(record_url(world.sh_expert), data=roleless)
    assert refused.status_code == 422
    assert "请至少选择一种专家类型" in refused.get_data(as_text=True).split('id="roles-error"')[1]


def test_a_credit_record_entered_by_mistake_is_removed_audited_and_its_flag_cleared(
        client, world, sign_in, as_):
    sign_in("coordinator_yrd")
    client.post(f"/console/experts/{world.sh_expert.id}/credit-records",
                data={"kind": "suspension", "start": "2025-01-01", "description": "误录"})
    entry = db.session.scalars(select(CreditRecord)).one()
    db.session.refresh(world.proposal)
    assert world.proposal.open_flags  # the suspension flagged the held seat
    removed = client.post(f"/console/experts/{world.sh_expert.id}/credit-records/{entry.id}"
                          "/remove")
    assert removed.status_code == 302
    assert db.session.scalars(select(CreditRecord)).all() == []
    event = db.session.scalars(select(AuditEvent).filter_by(action="remove_credit_record")).one()
    assert event.before == {"id": entry.id, "kind": "suspension", "start": "2025-01-01",
                            "end": None}
    db.session.expire_all()
    assert not db.session.get(type(world.proposal), world.proposal.id).open_flags


def test_another_region_cannot_remove_a_credit_record(client, world, as_, make):
    db.session.add(CreditRecord(expert_id=world.sh_expert.id, kind="warning",
                                start=date(2025, 1, 1)))
    db.session.commit()
    entry = db.session.scalars(select(CreditRecord)).one()
    url = f"/api/v1/experts/{world.sh_expert.id}/credit-records/{entry.id}"
    for who in ("coordinator_gba", "clerk_sh", "expert_sh"):
        assert client.delete(url, headers=as_(who)).status_code in (403, 404), who
    assert db.session.scalars(select(CreditRecord)).all() == [entry]
    assert client.delete(url, headers=as_("coordinator_yrd")).status_code == 204
    assert db.session.scalars(select(CreditRecord)).all() == []
