"""The security headers (registry/security.py) on every kind of response: a page, an API answer,
an error, the token, the API documentation and a static file; HSTS in production only."""

import base64
import re

import pytest

from registry.security import CONTENT_SECURITY_POLICY

PASSWORD = "correct horse battery"  # what tests.factories gives every user
EVERYWHERE = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def assert_secure(response, *, private: bool) -> None:
    for name, value in EVERYWHERE.items():
        assert response.headers.get(name) == value, (name, response.headers.get(name))
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    if private:
        assert response.headers["Cache-Control"] == "no-store"
    else:
        assert "no-store" not in response.headers.get("Cache-Control", "")
    assert "Strict-Transport-Security" not in response.headers  # tests run as "testing"


def test_a_public_page(client):
    assert_secure(client.get("/sign-in"), private=False)


def test_a_signed_in_page(client, world, sign_in_as):
    sign_in_as("clerk_sh")
    response = client.get("/clerk/")
    assert response.status_code == 200
    assert_secure(response, private=True)


def test_an_api_answer(client, world, as_):
    response = client.get("/api/v1/users/me", headers=as_("clerk_sh"))
    assert response.status_code == 200
    assert_secure(response, private=True)


def test_a_public_api_answer(client):
    assert_secure(client.get("/api/v1/openapi.json"), private=False)


@pytest.mark.parametrize("path", ["/api/v1/users/me", "/api/v1/nothing-here", "/no-such-page"])
def test_error_answers(client, path):
    response = client.get(path)
    assert response.status_code in (401, 404)
    assert_secure(response, private=False)


def test_an_api_error_of_a_token_holder(client, world, as_):
    response = client.get("/api/v1/cases/999999", headers=as_("clerk_sh"))
    assert response.status_code == 404
    assert_secure(response, private=True)


def test_the_token_answer_is_never_stored(client, world):
    pair = base64.b64encode(f"{world.users['admin'].email}:{PASSWORD}".encode()).decode()
    response = client.post("/api/v1/tokens", headers={"Authorization": f"Basic {pair}"})
    assert response.status_code == 201
    assert_secure(response, private=True)


def test_a_refused_token_request_is_never_stored_either(client):
    response = client.post("/api/v1/tokens")
    assert response.status_code == 401
    assert_secure(response, private=True)


def test_the_api_documentation_runs_without_inline_script(client):
    response = client.get("/api/v1/docs")
    assert_secure(response, private=False)
    html = response.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all("src=" in attributes and not body.strip()
                           for attributes, body in scripts)
    assert "/static/js/swagger-init.js" in html
    script = client.get("/static/js/swagger-init.js")
    script.close()
    assert script.status_code == 200


def test_a_static_file_may_be_cached_even_when_signed_in(client, world, sign_in_as):
    sign_in_as("clerk_sh")
    response = client.get("/static/app.css")
    response.close()
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_hsts_in_production_only(app, client):
    app.config["REGISTRY_ENV"] = "production"
    response = client.get("/sign-in")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.fixture
def sign_in_as(client, world):
    def as_user(name: str):
        response = client.post("/sign-in", data={"email": world.users[name].email,
                                                 "password": PASSWORD})
        assert response.status_code == 302
        return client

    return as_user
