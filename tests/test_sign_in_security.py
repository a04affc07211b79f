"""Signing in under attack: throttling per account and per address (form and API), audited
attempts, equal cost for unknown accounts, token revocation and purging, the demo registry
and the secret key outside development, cookies, and bearer-only API authentication."""

import base64
import json
import os
import socket
import stat
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from registry import create_app
from registry.config import ConfigError, from_environment
from registry.extensions import db
from registry.models import ApiToken, AuditEvent, User, utcnow
from registry.services import accounts

PASSWORD = "correct horse battery"  # what tests.factories gives every user


def basic(email: str, password: str) -> dict:
    pair = base64.b64encode(f"{email}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def ask_token(client, email: str, password: str):
    return client.post("/api/v1/tokens", headers=basic(email, password))


def sign_in_form(client, email: str, password: str, lang: str = ""):
    return client.post(f"/sign-in{lang}", data={"email": email, "password": password})


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def token_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(ApiToken)
                             .where(ApiToken.user_id == user.id))


@pytest.fixture
def limits(app):
    """Small limits, so that a test reaches them in a few attempts."""
    app.config.update(SIGN_IN_LIMIT_PER_ACCOUNT="3 per minute",
                      SIGN_IN_LIMIT_PER_ADDRESS="100 per minute")
    return app.config


# -- throttling --------------------------------------------------------------------------------

def test_wrong_passwords_for_one_account_end_in_429_with_retry_after(client, world, limits):
    clerk = world.users["clerk_sh"]
    for _ in range(3):
        assert ask_token(client, clerk.email, "not the password").status_code == 401
    # Past the limit even the right password is refused: it is not even checked.
    refused = ask_token(client, clerk.email, PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.get_json()["code"] == 429 and refused.get_json()["status"]
    assert refused.headers["Cache-Control"] == "no-store"
    assert "token" not in refused.get_json()


def test_look_alike_spellings_of_an_account_share_its_count(client, world, limits):
    """Sign-in matches Ｃlerk@… and CLERK@… to the clerk's account: they must not each get a
    count of their own, or the per-account limit would be three guesses per spelling."""
    clerk = world.users["clerk_sh"]
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in clerk.email)
    for spelling in (clerk.email, clerk.email.upper(), full_width):
        assert ask_token(client, spelling, "not the password").status_code == 401
    assert ask_token(client, full_width, PASSWORD).status_code == 429


def test_failed_and_throttled_attempts_are_audited_with_the_email_never_the_password(
        client, world, limits):
    clerk = world.users["clerk_sh"]
    for _ in range(4):
        ask_token(client, clerk.email.upper(), "secret guess 1")
    failed, throttled = events("auth.sign_in_failed"), events("auth.throttled")
    assert len(failed) == 3 and len(throttled) == 1
    for event in failed + throttled:
        assert event.entity_id == str(clerk.id)
        assert event.after["email"] == clerk.email and event.after["via"] == "api"
        assert "secret guess" not in json.dumps(event.after)


def test_a_guesser_past_the_limit_writes_one_audit_row_a_minute_not_one_per_guess(
        client, world, limits):
    clerk = world.users["clerk_sh"]
    for _ in range(3):
        ask_token(client, clerk.email, "wrong")
    answers = [ask_token(client, clerk.email, "wrong").status_code for _ in range(20)]
    assert answers == [429] * 20
    assert len(events("auth.throttled")) == 1
    # Another address trying the same account is recorded on its own.
    other = client.post("/api/v1/tokens", headers=basic(clerk.email, "wrong"),
                        environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 429
    assert [event.after["from"] for event in events("auth.throttled")] == [
        "127.0.0.1", "10.9.9.9"]


def test_a_right_password_is_never_counted(client, world, limits):
    clerk = world.users["clerk_sh"]
    for _ in range(6):
        assert ask_token(client, clerk.email, PASSWORD).status_code == 201
    assert len(events("token.issued")) == 6


def test_guessing_many_accounts_from_one_address_is_throttled(client, world, limits):
    limits.update(SIGN_IN_LIMIT_PER_ACCOUNT="100 per minute",
                  SIGN_IN_LIMIT_PER_ADDRESS="4 per minute")
    for number in range(4):
        assert ask_token(client, f"guess{number}@example.cn", "x").status_code == 401
    assert ask_token(client, world.users["admin"].email, PASSWORD).status_code == 429
    # Another address is not held back by this one's failures.
    other = client.post("/api/v1/tokens", headers=basic(world.users["admin"].email, PASSWORD),
                        environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 201


def test_unknown_accounts_are_throttled_and_recorded_like_known_ones(client, world, limits):
    for _ in range(3):
        assert ask_token(client, "nobody@example.cn", "x").status_code == 401
    assert ask_token(client, "nobody@example.cn", "x").status_code == 429
    assert {event.entity_id for event in events("auth.sign_in_failed")} == {"-"}


def test_the_form_shows_the_sign_in_page_again_with_a_message_in_chinese(client, world, limits):
    clerk = world.users["clerk_sh"]
    for _ in range(3):
        assert sign_in_form(client, clerk.email, "not the password").status_code == 422
    page = sign_in_form(client, clerk.email, PASSWORD)
    assert page.status_code == 429 and int(page.headers["Retry-After"]) > 0
    html = page.get_data(as_text=True)
    assert 'id="password"' in html and f'value="{clerk.email}"' in html
    assert "登录失败次数过多" in html  # Chinese first (the catalog's translation)
    english = sign_in_form(client, clerk.email, PASSWORD, lang="?lang=en")
    assert "Too many failed sign-in attempts" in english.get_data(as_text=True)
    assert events("auth.throttled")[0].after["via"] == "web"
    assert client.get("/clerk/").status_code == 302  # not signed in


def test_the_form_and_the_api_share_one_count(client, world, limits):
    clerk = world.users["clerk_sh"]
    sign_in_form(client, clerk.email, "wrong one")
    sign_in_form(client, clerk.email, "wrong two")
    assert ask_token(client, clerk.email, "wrong three").status_code == 401
    assert ask_token(client, clerk.email, PASSWORD).status_code == 429


def test_a_nul_in_the_basic_user_name_is_a_plain_401(client, world):
    response = ask_token(client, "admin\x00@example.cn", "x")
    assert response.status_code in (400, 401)
    assert all("\x00" not in event.after["email"] for event in events("auth.sign_in_failed"))


@pytest.fixture
def redis_url():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return "redis://127.0.0.1:6379/0"


def test_counts_kept_in_redis_survive_a_new_app(database_url, world, redis_url):
    """Two apps (as two workers, or a restart) on one Redis see one count."""
    import redis

    prefix = f"test-h2-{uuid.uuid4().hex}"
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test",
              "WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": redis_url,
              "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": prefix},
              "SIGN_IN_LIMIT_PER_ACCOUNT": "2 per minute"}
    email = world.users["clerk_sh"].email
    server = redis.Redis.from_url(redis_url)
    apps = [create_app(config), create_app(config)]
    try:
        first, second = (app.test_client() for app in apps)
        assert ask_token(first, email, "wrong").status_code == 401
        assert ask_token(first, email, "wrong").status_code == 401
        assert server.keys(f"{prefix}:*"), "the counts are in Redis"
        assert ask_token(second, email, PASSWORD).status_code == 429
    finally:
        for key in server.scan_iter(f"{prefix}:*"):
            server.delete(key)
        server.close()
        for app in apps:
            with app.app_context():
                db.engine.dispose()


# -- equal cost for unknown accounts -----------------------------------------------------------

def test_an_unknown_email_is_checked_against_a_hash_as_costly_as_a_real_one(app, world):
    """No timing here (benchmarks hold timings): the dummy hash has the method and work factor
    of every password that the app sets, so checking it costs the same."""
    method = generate_password_hash("any password").split("$")[0]
    assert accounts._nobody().split("$")[0] == method
    real = accounts.create_user("equal.cost@example.cn", "admin", "a long new password")
    assert real.password_hash.split("$")[0] == method
    assert accounts.authenticate("nobody@example.cn", "a long new password") is None


# -- tokens: deactivation, purging, revocation -------------------------------------------------

def test_deactivating_deletes_the_tokens_and_reactivating_revives_none(client, world, as_):
    clerk = world.users["clerk_sh"]
    issued = ask_token(client, clerk.email, PASSWORD).get_json()["token"]
    bearer = {"Authorization": f"Bearer {issued}"}
    assert client.get("/api/v1/users/me", headers=bearer).status_code == 200
    off = client.patch(f"/api/v1/users/{clerk.id}", headers=as_("admin"), json={"active": False})
    assert off.status_code == 200 and token_count(clerk) == 0
    on = client.patch(f"/api/v1/users/{clerk.id}", headers=as_("admin"), json={"active": True})
    assert on.status_code == 200
    assert client.get("/api/v1/users/me", headers=bearer).status_code == 401
    [revoked] = events("token.revoked")
    assert revoked.after == {"tokens": 1, "reason": "deactivated"}


def add_token(user: User, hours: float) -> ApiToken:
    stored, _token = ApiToken.issue(user, timedelta(hours=hours))
    db.session.add(stored)
    db.session.commit()
    return stored


def test_issuing_a_token_purges_expired_ones(client, world):
    clerk = world.users["clerk_sh"]
    add_token(clerk, -1)
    add_token(world.users["admin"], -2)
    live = add_token(clerk, 5)
    assert ask_token(client, clerk.email, PASSWORD).status_code == 201
    assert db.session.scalar(select(func.count()).select_from(ApiToken)
                             .where(ApiToken.expires_at <= utcnow())) == 0
    assert db.session.get(ApiToken, live.token_hash) is not None


def test_purge_tokens_command_deletes_only_expired_ones(runner, world):
    clerk = world.users["clerk_sh"]
    add_token(clerk, -1)
    live = add_token(clerk, 1)
    result = runner.invoke(args=["purge-tokens"])
    assert result.exit_code == 0 and "Purged 1 expired" in result.output
    db.session.expire_all()
    assert token_count(clerk) == 1 and db.session.get(ApiToken, live.token_hash) is not None


def test_issuing_and_revoking_a_token_are_audited(client, world):
    clerk = world.users["clerk_sh"]
    token = ask_token(client, clerk.email, PASSWORD).get_json()["token"]
    assert client.delete("/api/v1/tokens",
                         headers={"Authorization": f"Bearer {token}"}).status_code == 204
    [issued], [revoked] = events("token.issued"), events("token.revoked")
    assert issued.actor_id == revoked.actor_id == clerk.id
    assert issued.after["token"] == revoked.after["token"]  # the hash's start, not the token
    assert token not in json.dumps(issued.after)


def test_signing_in_and_out_on_the_form_are_audited(client, world):
    clerk = world.users["clerk_sh"]
    assert sign_in_form(client, clerk.email, PASSWORD).status_code == 302
    assert client.post("/sign-out").status_code == 302
    assert [event.actor_id for event in events("auth.sign_in") + events("auth.sign_out")] == \
        [clerk.id, clerk.id]


# -- the API takes bearer tokens only, and authenticates before reading a body ------------------

def test_a_signed_in_browser_session_cannot_call_the_api(client, world):
    assert sign_in_form(client, world.users["admin"].email, PASSWORD).status_code == 302
    created = client.post("/api/v1/users", json={"email": "via.cookie@example.cn",
                                                 "role": "admin",
                                                 "password": "a long new password"})
    assert created.status_code == 401
    assert client.get("/api/v1/users/me").status_code == 401
    assert db.session.scalar(select(User).where(User.email == "via.cookie@example.cn")) is None


@pytest.mark.parametrize("body", [
    b"{not json at all",
    b"[" * 500 + b"]" * 500,
    b'{"number": ' + b"9" * 5000 + b"}",
    b'{"name": "\\ud800"}',
])
def test_an_anonymous_body_is_never_parsed(client, world, body):
    for path in ("/api/v1/cases", "/api/v1/users", "/api/v1/assignments"):
        response = client.post(path, data=body, content_type="application/json")
        assert response.status_code == 401, (path, response.get_json())


def test_public_api_operations_stay_public(client, world):
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200
    assert client.get("/api/v1/reference/jurisdictions").status_code in (200, 404)
    assert client.post("/api/v1/tokens").status_code == 401  # asks for HTTP Basic itself


# -- the demo registry, the secret key and cookies outside development -------------------------

def test_seed_demo_refuses_to_run_in_production(app, runner):
    app.config["REGISTRY_ENV"] = "production"
    result = runner.invoke(args=["seed", "--demo", "--experts", "5"])
    assert result.exit_code != 0 and "only for development" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_the_demo_password_passes_the_policy():
    from registry.models.users import check_password_policy
    from registry.services.seeding import DEMO_PASSWORD, DEMO_USERS

    for email, *_rest in DEMO_USERS:
        check_password_policy(DEMO_PASSWORD, email)


@pytest.fixture
def environment(monkeypatch):
    """The process environment as each case sets it (restored afterwards)."""
    for name in ("SECRET_KEY", "REGISTRY_ENV"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_production_without_a_secret_key_refuses_to_start(environment, tmp_path):
    environment.setenv("REGISTRY_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        from_environment(str(tmp_path))


def test_development_makes_a_private_random_key_once_and_keeps_it(environment, tmp_path):
    environment.setenv("REGISTRY_ENV", "development")
    first = from_environment(str(tmp_path))["SECRET_KEY"]
    again = from_environment(str(tmp_path))["SECRET_KEY"]
    key_file = tmp_path / "secret_key"
    assert first == again == key_file.read_text() and len(first) >= 64
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    other = tmp_path / "other"
    other.mkdir()
    assert from_environment(str(other))["SECRET_KEY"] != first  # no constant in the source


@pytest.mark.parametrize("env, secure", [("production", True), ("development", False)])
def test_cookies_are_http_only_same_site_and_secure_in_production(environment, tmp_path, env,
                                                                 secure):
    environment.setenv("REGISTRY_ENV", env)
    environment.setenv("SECRET_KEY", "from the environment")
    config = from_environment(str(tmp_path))
    for cookie in ("SESSION", "REMEMBER"):
        assert config[f"{cookie}_COOKIE_HTTPONLY"] is True
        assert config[f"{cookie}_COOKIE_SAMESITE"] == "Lax"
        assert config[f"{cookie}_COOKIE_SECURE"] is secure


def test_a_production_session_cookie_is_set_secure_http_only_and_lax(app, client, world):
    app.config.update(SESSION_COOKIE_SECURE=True)  # as from_environment sets it in production
    response = sign_in_form(client, world.users["clerk_sh"].email, PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie

