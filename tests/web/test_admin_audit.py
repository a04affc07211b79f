"""The admin's audit trail: filters, before and after side by side, the CSV export, and the
same filtered query behind the API's /api/v1/users/audit-events."""

import csv
import io
import re
from datetime import UTC, datetime

import pytest

from registry.extensions import db
from registry.models import AuditEvent
from registry.services import audit, audit_queries
from tests.web.test_templates_never_query import statements_while_rendering

ENTITY_ID = "90009"  # no row of the small world has so high an id


def shown_events(response) -> set[int]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return {int(n) for n in re.findall(r'id="event-(\d+)"', response.get_data(as_text=True))}


def recorded(*args, **kwargs) -> int:
    audit.record(*args, **kwargs)
    db.session.commit()
    return db.session.query(AuditEvent).order_by(AuditEvent.id.desc()).first().id


@pytest.fixture
def trail(world, sign_in):
    """Three changes by three people; the admin is signed in (which is audited too)."""
    users = world.users
    admin = sign_in("admin")
    events = {
        "filed": recorded(users["clerk_sh"], "create", "case", ENTITY_ID,
                          after={"number": "（2025）沪73知民初7号"}),
        "confirmed": recorded(users["coordinator_yrd"], "confirm", "assignment", ENTITY_ID,
                              before={"status": "proposed"}, after={"status": "confirmed"}),
        "deactivated": recorded(users["admin"], "update", "user", ENTITY_ID,
                                before={"active": True}, after={"active": False}),
    }
    return admin, events


def test_the_trail_shows_who_did_what_newest_first(client, world, as_, sign_in):
    sign_in("admin")
    filed = client.post("/api/v1/cases", headers=as_("clerk_sh"), json={
        "number": "（2025）沪73知民初7号", "kind": "civil", "fields": ["H04W"], "parties": []})
    assert filed.status_code == 201
    page = client.get("/admin/audit").get_data(as_text=True)
    sign_in_event, case_event = db.session.query(AuditEvent).order_by(AuditEvent.id).all()
    assert (case_event.action, case_event.entity) == ("create", "case")
    assert page.index(f'id="event-{case_event.id}"') < page.index(f'id="event-{sign_in_event.id}"')
    assert world.users["clerk_sh"].email in page
    assert "（2025）沪73知民初7号" in page


@pytest.mark.parametrize("query, expected", [
    (lambda world: {"actor_id": world.users["clerk_sh"].id}, {"filed"}),
    (lambda world: {"entity": "assignment"}, {"confirmed"}),
    (lambda world: {"entity": "user", "entity_id": ENTITY_ID}, {"deactivated"}),
    (lambda world: {"entity_id": ENTITY_ID}, {"filed", "confirmed", "deactivated"}),
    (lambda world: {"action": "confirm"}, {"confirmed"}),
])
def test_each_filter_narrows_the_list(client, world, trail, query, expected):
    admin, events = trail
    everything = shown_events(admin.get("/admin/audit"))
    assert set(events.values()) < everything  # the admin's sign-in is listed as well
    assert shown_events(admin.get("/admin/audit", query_string=query(world))) == \
        {events[name] for name in expected}


def test_days_are_counted_in_china_standard_time(client, world, sign_in):
    admin = sign_in("admin")
    late = AuditEvent(at=datetime(2026, 1, 1, 15, 59, tzinfo=UTC), action="update",
                      entity="expert", entity_id="1")  # 23:59 on 1 January in Shanghai
    early = AuditEvent(at=datetime(2026, 1, 1, 16, 0, tzinfo=UTC), action="update",
                       entity="expert", entity_id="1")  # midnight, 2 January in Shanghai
    db.session.add_all([late, early])
    db.session.commit()
    assert shown_events(admin.get("/admin/audit?to=2026-01-01")) == {late.id}
    assert shown_events(admin.get("/admin/audit?from=2026-01-02&to=2026-01-02")) == {early.id}
    assert shown_events(admin.get("/admin/audit?from=2026-01-01&to=2026-01-02")) == \
        {late.id, early.id}


def test_before_and_after_are_side_by_side_with_the_changes_marked(client, world, sign_in):
    admin = sign_in("admin")
    recorded(world.users["admin"], "update", "expert", world.sh_expert.id,
             before={"name": "张伟", "max_concurrent": 3},
             after={"name": "张伟", "max_concurrent": 5, "travel_km": 300})
    page = admin.get("/admin/audit?entity=expert").get_data(as_text=True)
    rows = re.findall(r"<tr( class=\"changed\")?>\s*<th scope=\"row\"><code>(\w+)</code>", page)
    assert rows == [("", "name"), (' class="changed"', "max_concurrent"),
                    (' class="changed"', "travel_km")]
    assert "<del>3</del>" in page and "<ins>5</ins>" in page and "<ins>300</ins>" in page


def test_a_creation_lists_its_values_without_marking_them(world):
    rows = audit_queries.side_by_side(None, {"number": "（2025）沪73知民初7号"})
    assert rows == [{"key": "number", "before": None, "after": "（2025）沪73知民初7号",
                     "changed": False}]


def test_the_who_filter_finds_accounts_by_part_of_their_email(client, world, trail):
    admin, _events = trail
    clerk = world.users["clerk_sh"]
    found = admin.get("/admin/audit/actors", query_string={"q": clerk.email.upper()}).get_json()
    assert found == [{"value": str(clerk.id), "text": clerk.email}]
    assert admin.get("/admin/audit/actors?q=").get_json() == []
    page = admin.get(f"/admin/audit?actor_id={clerk.id}").get_data(as_text=True)
    assert f'<option value="{clerk.id}" selected>{clerk.email}</option>' in page


def export(admin, query: str = "") -> list[list[str]]:
    with admin.get(f"/admin/audit/events.csv?lang=en&{query}") as response:  # closes the file
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Content-Disposition"].startswith("attachment; filename=audit-")
        body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8 Chinese
    return list(csv.reader(io.StringIO(body.decode("utf-8")[1:])))


def test_the_export_has_a_header_and_the_filtered_rows_only(client, world, trail):
    admin, events = trail
    header, *rows = export(admin, f"entity_id={ENTITY_ID}&per_page=1&page=2")
    assert header == ["id", "time (China Standard Time)", "actor email", "action", "entity",
                      "entity id", "before (JSON)", "after (JSON)"]
    assert [int(row[0]) for row in rows] == \
        [events["deactivated"], events["confirmed"], events["filed"]]  # all, not one page
    filed = rows[-1]
    assert filed[2:6] == [world.users["clerk_sh"].email, "create", "case", ENTITY_ID]
    assert filed[1].endswith("+08:00")
    assert filed[6:] == ["", '{"number": "（2025）沪73知民初7号"}']


def test_the_export_reads_the_log_in_chunks_without_losing_a_row(client, world, trail,
                                                                  monkeypatch):
    admin, events = trail
    monkeypatch.setattr(audit_queries, "EXPORT_CHUNK", 2)
    _header, *rows = export(admin)
    ids = [int(row[0]) for row in rows]
    assert ids == sorted(ids, reverse=True) and len(ids) == len(set(ids))
    assert set(events.values()) < set(ids)


def test_the_export_escapes_cells_a_spreadsheet_would_run_as_formulas(client, world, trail):
    admin, _events = trail
    recorded(world.users["admin"], '=HYPERLINK("http://evil.example","x")', "case", "-1+2",
             after={"note": "@SUM(A1)"})
    _header, row = export(admin, "entity_id=-1%2B2")
    assert row[3] == '\'=HYPERLINK("http://evil.example","x")'
    assert row[5] == "'-1+2"
    assert row[7] == '{"note": "@SUM(A1)"}'  # a JSON cell starts with a brace: nothing to run


@pytest.mark.parametrize("user", ["clerk_sh", "coordinator_yrd", "expert_sh"])
@pytest.mark.parametrize("url", ["/admin/audit", "/admin/audit/events.csv",
                                 "/admin/audit/actors?q=user"])
def test_only_admins_read_the_trail(client, world, sign_in, user, url):
    assert sign_in(user).get(url).status_code == 403


@pytest.mark.parametrize("query", [
    "actor_id=abc", "actor_id=99999999999", "actor_id=0", "from=2026-13-01", "to=yesterday",
    "from=0001-01-01", "to=9999-12-31", "from=2026-02-01&to=2026-01-01", "page=0",
    "per_page=1000", "page=99999", "entity_id=" + "9" * 100, "action=" + "x" * 100, "lang=xx",
])
def test_bad_filters_are_ignored_not_a_server_error(client, world, trail, query):
    admin, events = trail
    assert admin.get(f"/admin/audit?{query}").status_code == 200
    with admin.get(f"/admin/audit/events.csv?{query}") as export_response:
        assert export_response.status_code == 200
    # the good filters beside a bad one still apply
    assert shown_events(admin.get(f"/admin/audit?{query}&entity=assignment")) == \
        {events["confirmed"]}


def test_the_api_lists_the_same_filtered_events(client, world, trail, as_):
    _admin, events = trail
    response = client.get(f"/api/v1/users/audit-events?action=confirm&entity_id={ENTITY_ID}",
                          headers=as_("admin"))
    assert response.status_code == 200
    body = response.get_json()
    assert [item["id"] for item in body["items"]] == [events["confirmed"]]
    assert body["items"][0]["after"] == {"status": "confirmed"}
    by_actor = client.get("/api/v1/users/audit-events",
                          query_string={"actor_id": world.users["clerk_sh"].id},
                          headers=as_("admin")).get_json()
    assert [item["id"] for item in by_actor["items"]] == [events["filed"]]


@pytest.mark.parametrize("query", ["actor_id=abc", "from=2026-02-01&to=2026-01-01",
                                   "from=not-a-day", "entity_id=" + "9" * 41])
def test_the_api_refuses_bad_filters_with_422(client, world, as_, query):
    response = client.get(f"/api/v1/users/audit-events?{query}", headers=as_("admin"))
    assert response.status_code == 422


def test_the_trail_page_runs_no_sql_while_rendering(app, client, world, trail):
    admin, _events = trail
    with statements_while_rendering(app) as seen:
        response = admin.get(f"/admin/audit?actor_id={world.users['clerk_sh'].id}")
        everything = admin.get("/admin/audit")
    assert response.status_code == everything.status_code == 200
    assert seen == []
