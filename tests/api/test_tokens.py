"""POST /api/v1/tokens trades HTTP Basic credentials for a bearer token."""

import base64
from datetime import timedelta

from registry.extensions import db
from registry.models import ApiToken, UserRole, utcnow


def basic(email: str, password: str) -> dict:
    pair = base64.b64encode(f"{email}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def test_basic_credentials_give_a_working_bearer_token(client, make):
    user = make.user(UserRole.ADMIN, email="admin@example.cn")
    db.session.commit()
    response = client.post("/api/v1/tokens", headers=basic("admin@example.cn",
                                                           "correct horse battery"))
    assert response.status_code == 201
    token = response.get_json()["token"]
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.get_json()["id"] == user.id


def test_a_wrong_password_gets_401_and_no_token(client, make):
    make.user(UserRole.ADMIN, email="admin@example.cn")
    db.session.commit()
    response = client.post("/api/v1/tokens", headers=basic("admin@example.cn", "guess"))
    assert response.status_code == 401
    assert db.session.query(ApiToken).count() == 0


def test_no_credentials_get_401(client):
    assert client.post("/api/v1/tokens").status_code == 401


def test_an_expired_token_is_refused(client, make):
    user = make.user(UserRole.ADMIN)
    headers = make.token_for(user)
    for stored in db.session.query(ApiToken):
        stored.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401


def test_a_revoked_token_stops_working(client, make):
    headers = make.token_for(make.user(UserRole.ADMIN))
    assert client.delete("/api/v1/tokens", headers=headers).status_code == 204
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401


def test_tokens_are_stored_only_as_hashes(client, make):
    headers = make.token_for(make.user(UserRole.ADMIN))
    token = headers["Authorization"].split()[1]
    assert all(stored.token_hash != token for stored in db.session.query(ApiToken))
