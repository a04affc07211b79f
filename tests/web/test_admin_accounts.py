"""The admin's account pages: list and search, create, change role and scope, (de)activate,
reset a password (and the user's forced choice of a new one); the last active admin stays."""

import base64
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, func, select

from registry.extensions import db
from registry.models import ApiToken, AuditEvent, User, UserRole
from registry.services import accounts
from tests.web.conftest import PASSWORD
from tests.web.test_templates_never_query import statements_while_rendering

NEW_PASSWORD = "a brand new secret"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def events(action: str, user: User) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.entity_id == str(user.id))
        .order_by(AuditEvent.id)))


def basic(email: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{email}:{password}".encode()).decode()}


@pytest.fixture
def admin(world, sign_in):
    """The test client signed in as the world's (only) admin."""
    return sign_in("admin")


# -- who may ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["clerk_sh", "coordinator_yrd", "expert_sh"])
@pytest.mark.parametrize("url", ["/admin/accounts", "/admin/accounts/new",
                                 "/admin/accounts/search/bodies?q=上海"])
def test_only_admins_open_the_account_pages(sign_in, name, url):
    assert sign_in(name).get(url).status_code == 403


def test_others_cannot_change_an_account(world, sign_in):
    target = world.users["clerk_gd"]
    response = sign_in("clerk_sh").post(f"/admin/accounts/{target.id}/active",
                                        data={"active": "false"})
    assert response.status_code == 403
    assert fresh(target).active


# -- listing and searching --------------------------------------------------------------------

def test_admin_lists_accounts_with_role_and_scope(world, admin):
    page = admin.get("/admin/accounts?per_page=100").get_data(as_text=True)
    assert all(user.email in page for user in world.users.values())
    assert "上海知识产权法院" in page and "张伟" in page and "YRD" in page


@pytest.mark.parametrize("query, expected", [
    ("role=coordinator", {"coordinator_yrd", "coordinator_sh", "coordinator_gba"}),
    ("scope=yrd", {"coordinator_yrd"}),
    ("scope=上海知识产权", {"clerk_sh"}),
    ("scope=陈志", {"expert_gd"}),
    ("role=clerk&scope=深圳", {"clerk_gd"}),
])
def test_accounts_are_searched_by_role_and_scope(world, admin, query, expected):
    page = admin.get(f"/admin/accounts?{query}").get_data(as_text=True)
    shown = {name for name, user in world.users.items() if user.email in page}
    assert shown == expected


def test_accounts_are_searched_by_email_and_activity(world, make, admin):
    make.user(UserRole.ADMIN, email="old.admin@example.cn", active=False)
    db.session.commit()
    assert "old.admin@example.cn" in admin.get("/admin/accounts?email=OLD.").get_data(
        as_text=True)
    page = admin.get("/admin/accounts?active=false").get_data(as_text=True)
    assert "old.admin@example.cn" in page and world.users["clerk_sh"].email not in page


def test_accounts_are_paged(world, admin):
    first = admin.get("/admin/accounts?per_page=5").get_data(as_text=True)
    second = admin.get("/admin/accounts?per_page=5&page=2").get_data(as_text=True)
    assert 'rel="next"' in first and 'rel="prev"' in second
    shown = [u.email for u in world.users.values() if u.email in first or u.email in second]
    assert len(shown) == len(world.users)


def test_a_bad_filter_is_ignored_not_an_error(admin):
    assert admin.get("/admin/accounts?role=judge&active=maybe&page=0").status_code == 200


# -- creating --------------------------------------------------------------------------------

def test_a_created_clerk_signs_in_and_lands_on_the_clerk_pages(world, admin, client):
    response = admin.post("/admin/accounts/new", data={
        "email": "New.Clerk@Court.cn", "role": "clerk", "body": str(world.sh_court.id),
        "password": "initial password"})
    assert response.status_code == 302
    created = db.session.scalar(select(User).where(User.email == "new.clerk@court.cn"))
    assert (created.role, created.body_id) == (UserRole.CLERK, world.sh_court.id)
    client.post("/sign-out")
    signed_in = client.post("/sign-in", data={"email": "new.clerk@court.cn",
                                              "password": "initial password"})
    assert signed_in.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/clerk/"
    page = client.get("/clerk/cases").get_data(as_text=True)
    assert world.sh_case.number in page and world.gd_case.number not in page


def test_a_coordinator_gets_a_region_and_an_expert_account_its_expert(world, admin):
    admin.post("/admin/accounts/new", data={"email": "c@example.cn", "role": "coordinator",
                                            "region": "GBA", "password": "initial password"})
    admin.post("/admin/accounts/new", data={"email": "e@example.cn", "role": "expert",
                                            "expert_id": str(world.js_expert.id),
                                            "password": "initial password"})
    coordinator = db.session.scalar(select(User).where(User.email == "c@example.cn"))
    expert = db.session.scalar(select(User).where(User.email == "e@example.cn"))
    assert (coordinator.region, expert.expert_id) == ("GBA", world.js_expert.id)


def test_creating_is_audited_without_the_password(admin):
    admin.post("/admin/accounts/new", data={"email": "root2@example.cn", "role": "admin",
                                            "password": "initial password"})
    created = db.session.scalar(select(User).where(User.email == "root2@example.cn"))
    [created_event] = events("create", created)
    assert created_event.after["role"] == "admin"
    assert "password" not in str(created_event.after)


def test_the_scope_input_of_another_role_is_ignored(world, admin):
    """The form shows every scope input; one left filled from an earlier choice is not used."""
    response = admin.post("/admin/accounts/new", data={
        "email": "c2@example.cn", "role": "coordinator", "region": "SH",
        "body": str(world.sh_court.id), "password": "initial password"})
    assert response.status_code == 302
    created = db.session.scalar(select(User).where(User.email == "c2@example.cn"))
    assert (created.region, created.body_id) == ("SH", None)


@pytest.mark.parametrize("posted, field, message", [
    ({"email": "not-an-email", "role": "admin"}, "email", "Not a valid email address."),
    ({"email": "DUP@example.cn", "role": "admin"}, "email", "already exists"),
    ({"email": "x@example.cn", "role": "clerk"}, "body", "a clerk account needs a handling"),
    ({"email": "x@example.cn", "role": "clerk", "body": "999999"}, "body", "no organization"),
    ({"email": "x@example.cn", "role": "coordinator"}, "region", "needs a region"),
    ({"email": "x@example.cn", "role": "coordinator", "region": "XX"}, "region",
     "unknown region"),
    ({"email": "x@example.cn", "role": "expert", "expert_id": "abc"}, "expert_id",
     "Not a valid integer."),
    ({"email": "x@example.cn", "role": "admin", "password": "short"}, "password",
     "Length must be between 12 and 200."),
    ({"email": "x@example.cn"}, "role", "Missing data for required field."),
])
def test_bad_input_comes_back_beside_its_field_and_writes_nothing(make, admin, posted, field,
                                                                  message):
    make.user(UserRole.CLERK, email="dup@example.cn",
              body_id=make.body("shanghai", name="另一法院").id)
    db.session.commit()
    users, audited = count(User), count(AuditEvent)
    response = admin.post("/admin/accounts/new?lang=en",
                          data={"password": "initial password", **posted})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in page and message in page.split(f'id="{field}-error"')[1]
    assert f'value="{posted["email"]}"' in page  # what was typed is kept
    assert "initial password" not in page  # but never a password
    assert (count(User), count(AuditEvent)) == (users, audited)


def test_a_duplicate_email_is_refused_in_chinese_by_default(world, admin):
    response = admin.post("/admin/accounts/new", data={
        "email": world.users["clerk_sh"].email, "role": "admin", "password": "initial password"})
    assert response.status_code == 422
    assert 'id="email-error"' in response.get_data(as_text=True)


def test_a_body_that_is_not_a_handling_body_is_refused(make, admin):
    company = make.organization(name="ACME Ltd")
    db.session.commit()
    response = admin.post("/admin/accounts/new?lang=en", data={
        "email": "x@example.cn", "role": "clerk", "body": str(company.id),
        "password": "initial password"})
    assert response.status_code == 422
    assert "is a company, not a court" in response.get_data(as_text=True)
    assert count(User) == 8


# -- pickers -----------------------------------------------------------------------------------

def test_the_body_picker_offers_only_handling_bodies(world, make, admin):
    make.organization(name="上海某某科技有限公司")
    db.session.commit()
    options = admin.get("/admin/accounts/search/bodies?q=上海").get_json()
    assert options == [{"value": str(world.sh_court.id), "text": "上海知识产权法院"}]


def test_the_expert_picker_offers_experts_without_an_account(world, admin):
    assert admin.get("/admin/accounts/search/experts?q=张伟").get_json() == []
    [option] = admin.get("/admin/accounts/search/experts?q=李").get_json()
    assert option["value"] == str(world.js_expert.id) and "李娜" in option["text"]


# -- role and scope --------------------------------------------------------------------------

def test_admin_changes_role_and_scope_and_it_is_audited(world, admin):
    target = world.users["clerk_sh"]
    response = admin.post(f"/admin/accounts/{target.id}/role",
                          data={"role": "coordinator", "region": "YRD",
                                "body": str(world.sh_court.id)})
    assert response.status_code == 302
    target = fresh(target)
    assert (target.role, target.region, target.body_id) == (UserRole.COORDINATOR, "YRD", None)
    [changed] = events("update", target)
    assert changed.before == {"role": "clerk", "body_id": world.sh_court.id, "region": None}
    assert changed.after == {"role": "coordinator", "body_id": None, "region": "YRD"}


def test_an_expert_account_keeps_its_own_expert_when_saved_again(world, admin):
    target = world.users["expert_sh"]
    response = admin.post(f"/admin/accounts/{target.id}/role",
                          data={"role": "expert", "expert_id": str(world.sh_expert.id)})
    assert response.status_code == 302
    assert events("update", target) == []  # nothing changed, nothing audited


def test_a_scope_taken_by_another_account_is_refused_beside_the_field(world, admin):
    target = world.users["expert_gd"]
    response = admin.post(f"/admin/accounts/{target.id}/role?lang=en",
                          data={"role": "expert", "expert_id": str(world.sh_expert.id)})
    assert response.status_code == 422
    assert "already has an account" in response.get_data(as_text=True).split(
        'id="expert_id-error"')[1]
    assert fresh(target).expert_id == world.gd_expert.id


# -- the last active admin -------------------------------------------------------------------

def test_the_last_admin_cannot_deactivate_itself(world, admin):
    me = world.users["admin"]
    response = admin.post(f"/admin/accounts/{me.id}/active?lang=en", data={"active": "false"})
    assert response.status_code == 422
    assert "is the last active admin" in response.get_data(as_text=True)
    assert fresh(me).active and events("update", me) == []


def test_the_last_admin_cannot_demote_itself(world, admin):
    me = world.users["admin"]
    response = admin.post(f"/admin/accounts/{me.id}/role?lang=en",
                          data={"role": "coordinator", "region": "YRD"})
    assert response.status_code == 422
    assert "is the last active admin" in response.get_data(as_text=True).split(
        'id="role-error"')[1]
    assert fresh(me).role is UserRole.ADMIN


def test_an_inactive_admin_does_not_count_as_another(world, make, admin):
    make.user(UserRole.ADMIN, active=False)
    db.session.commit()
    me = world.users["admin"]
    assert admin.post(f"/admin/accounts/{me.id}/active",
                      data={"active": "false"}).status_code == 422


def test_with_another_active_admin_an_admin_may_step_down(world, make, admin):
    make.user(UserRole.ADMIN)
    db.session.commit()
    me = world.users["admin"]
    response = admin.post(f"/admin/accounts/{me.id}/role",
                          data={"role": "coordinator", "region": "SH"})
    assert response.status_code == 302
    assert fresh(me).role is UserRole.COORDINATOR
    assert admin.get("/admin/accounts").status_code == 403  # no longer an admin


def test_the_api_refuses_to_remove_the_last_admin_with_409(world, client, as_):
    me = world.users["admin"]
    response = client.patch(f"/api/v1/users/{me.id}", headers=as_("admin"),
                            json={"role": "clerk", "body": str(world.sh_court.id)})
    assert response.status_code == 409
    assert "last active admin" in response.get_json()["message"]


def test_the_rule_locks_the_admin_rows_while_counting(world):
    """Two admins demoting each other at once: the second waits for the first, then counts
    again (PostgreSQL row locks; on SQLite the writers take turns anyway)."""
    admin = world.users["admin"]
    other = User(email="second@example.cn", role=UserRole.ADMIN, password_hash="x")
    db.session.add(other)
    db.session.flush()
    seen = []

    def executed(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", executed)
    try:
        accounts.set_active(other, False, admin)
    finally:
        event.remove(db.engine, "before_cursor_execute", executed)
    counting = [s for s in seen if "FROM user" in s.replace('"', "") and "role" in s]
    assert counting
    if db.engine.dialect.name == "postgresql":
        assert "FOR UPDATE" in counting[0]
    with pytest.raises(accounts.LastActiveAdmin):
        accounts.set_active(admin, False, admin)


@pytest.mark.skipif("postgresql" not in os.environ.get("TEST_DATABASE_URL", ""),
                    reason="row locks are PostgreSQL's; SQLite runs one writer at a time")
def test_two_admins_removing_each_other_at_once_leave_one_active(app, make):
    first, second = make.user(UserRole.ADMIN), make.user(UserRole.ADMIN)
    db.session.commit()
    both_loaded = threading.Barrier(2)

    def deactivate(actor_id: int, target_id: int) -> str:
        with app.app_context():
            try:
                actor, target = db.session.get(User, actor_id), db.session.get(User, target_id)
                both_loaded.wait(timeout=10)
                accounts.set_active(target, False, actor)
                time.sleep(0.2)  # hold the locks, so that the other one has to wait
                db.session.commit()
                return "done"
            except accounts.LastActiveAdmin:
                db.session.rollback()
                return "refused"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(deactivate, (first.id, second.id), (second.id, first.id)))
    assert sorted(outcomes) == ["done", "refused"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(
        User.role == UserRole.ADMIN, User.active.is_(True))) == 1


# -- activity --------------------------------------------------------------------------------

def test_a_deactivated_account_cannot_sign_in_and_is_reactivated(world, admin, client):
    target = world.users["clerk_sh"]
    assert admin.post(f"/admin/accounts/{target.id}/active",
                      data={"active": "false"}).status_code == 302
    [deactivated] = events("update", target)
    assert (deactivated.before, deactivated.after) == ({"active": True}, {"active": False})
    client.post("/sign-out")
    refused = client.post("/sign-in", data={"email": target.email, "password": PASSWORD})
    assert refused.status_code == 422
    sign_back = client.post("/sign-in", data={"email": world.users["admin"].email,
                                              "password": PASSWORD})
    assert sign_back.status_code == 302
    client.post(f"/admin/accounts/{target.id}/active", data={"active": "true"})
    assert fresh(target).active


def test_a_deactivated_accounts_open_session_ends(world, sign_in, client):
    clerk = sign_in("clerk_sh")
    assert clerk.get("/clerk/").status_code == 200
    accounts.set_active(fresh(world.users["clerk_sh"]), False, world.users["admin"])
    db.session.commit()
    response = client.get("/clerk/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


# -- password reset ---------------------------------------------------------------------------

def reset(admin, user, password="temporary pass"):
    return admin.post(f"/admin/accounts/{user.id}/password", data={"password": password})


def test_a_reset_forces_the_change_page_and_the_old_password_stops_working(world, admin,
                                                                          client):
    target = world.users["clerk_sh"]
    assert reset(admin, target).status_code == 302
    assert fresh(target).must_change_password
    client.post("/sign-out")
    assert client.post("/sign-in", data={"email": target.email,
                                         "password": PASSWORD}).status_code == 422
    signed_in = client.post("/sign-in", data={"email": target.email,
                                              "password": "temporary pass"})
    assert signed_in.headers["Location"] == "/choose-password"
    for url in ("/", "/clerk/", "/clerk/cases", "/admin/accounts"):
        assert client.get(url).headers["Location"] == "/choose-password", url
    assert client.get("/choose-password").status_code == 200
    chosen = client.post("/choose-password", data={"password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD})
    assert chosen.status_code == 302
    assert client.get("/clerk/").status_code == 200
    assert not fresh(target).must_change_password
    [changed] = events("change_password", target)
    assert changed.actor_id == target.id


def test_sign_out_still_works_while_the_password_is_temporary(world, admin, client):
    target = world.users["expert_sh"]
    reset(admin, target)
    client.post("/sign-out")
    client.post("/sign-in", data={"email": target.email, "password": "temporary pass"})
    assert client.post("/sign-out").headers["Location"] == "/sign-in"


@pytest.mark.parametrize("password, confirm, field, message", [
    ("temporary pass", "temporary pass", "password", "other than the temporary one"),
    ("short", "short", "password", "Length must be between 12 and 200."),
    (NEW_PASSWORD, "something else", "confirm", "The two passwords differ."),
])
def test_a_bad_new_password_is_refused_beside_its_field(world, admin, client, password,
                                                        confirm, field, message):
    target = world.users["clerk_sh"]
    reset(admin, target)
    client.post("/sign-out")
    client.post("/sign-in", data={"email": target.email, "password": "temporary pass"})
    response = client.post("/choose-password?lang=en",
                           data={"password": password, "confirm": confirm})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).split(f'id="{field}-error"')[1]
    assert fresh(target).must_change_password


def test_a_short_temporary_password_is_refused_and_nothing_changes(world, admin):
    target = world.users["clerk_sh"]
    response = reset(admin, target, "short")
    assert response.status_code == 422
    assert 'id="password-error"' in response.get_data(as_text=True)
    assert not fresh(target).must_change_password and events("reset_password", target) == []


def test_a_reset_is_audited_without_any_password(world, admin):
    target = world.users["clerk_sh"]
    reset(admin, target)
    [audited] = events("reset_password", target)
    assert (audited.actor_id, audited.after["must_change_password"]) == (
        world.users["admin"].id, True)
    written = " ".join(str((e.before, e.after)) for e in db.session.scalars(select(AuditEvent)))
    assert "temporary pass" not in written and fresh(target).password_hash not in written


def test_a_reset_revokes_tokens_and_no_new_one_is_issued_until_the_password_is_chosen(
        world, admin, client, as_):
    target = world.users["coordinator_yrd"]
    headers = as_("coordinator_yrd")
    reset(admin, target)
    assert count(ApiToken) == 0
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401
    refused = client.post("/api/v1/tokens", headers=basic(target.email, "temporary pass"))
    assert refused.status_code == 403
    assert "choose a new password" in refused.get_json()["message"]


def test_the_api_resets_a_password_through_the_same_service(world, client, as_):
    target = world.users["clerk_gd"]
    response = client.post(f"/api/v1/users/{target.id}/password-reset", headers=as_("admin"),
                           json={"password": "temporary pass"})
    assert response.status_code == 200 and response.get_json()["must_change_password"]
    assert len(events("reset_password", target)) == 1


def test_the_api_changes_role_and_scope_and_filters_the_list(world, client, as_):
    target = world.users["clerk_gd"]
    response = client.patch(f"/api/v1/users/{target.id}", headers=as_("admin"),
                            json={"role": "coordinator", "region": "GBA"})
    assert response.status_code == 200 and response.get_json()["region"] == "GBA"
    listed = client.get("/api/v1/users?role=coordinator&scope=GBA", headers=as_("admin"))
    assert {u["id"] for u in listed.get_json()["items"]} == {
        target.id, world.users["coordinator_gba"].id}


# -- templates never query ------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/admin/accounts", "/admin/accounts/new",
                                 "/admin/accounts/{clerk}", "/admin/accounts/{expert}",
                                 "/admin/accounts/{coordinator}"])
def test_account_pages_render_without_queries(app, world, admin, url):
    with statements_while_rendering(app) as seen:
        response = admin.get(url.format(clerk=world.users["clerk_sh"].id,
                                        expert=world.users["expert_sh"].id,
                                        coordinator=world.users["coordinator_yrd"].id))
    assert response.status_code == 200
    assert seen == []


def test_pages_shown_again_with_errors_render_without_queries(app, world, admin):
    with statements_while_rendering(app) as seen:
        bad_role = admin.post(f"/admin/accounts/{world.users['admin'].id}/role",
                              data={"role": "expert", "expert_id": str(world.js_expert.id)})
        bad_new = admin.post("/admin/accounts/new", data={
            "email": "x@example.cn", "role": "clerk", "body": str(world.sh_court.id),
            "password": "short"})
    assert (bad_role.status_code, bad_new.status_code) == (422, 422)
    assert seen == []


def test_the_account_page_reads_its_row_with_one_statement_made_once(world, admin):
    # get_row keeps one statement per (model, options), the options compared by identity
    # (services/access.py): the page passes the same options each time.
    from registry.services import access

    url = f"/admin/accounts/{world.users['clerk_sh'].id}"
    assert admin.get(url).status_code == 200
    made = access._by_key.cache_info()
    for _ in range(3):
        assert admin.get(url).status_code == 200
    again = access._by_key.cache_info()
    assert again.misses == made.misses and again.hits >= made.hits + 3
