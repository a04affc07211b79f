"""The OpenAPI document and Swagger UI work offline; every error is JSON with a reason."""

import re

import pytest


def test_openapi_document_describes_every_resource(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ["/api/v1/experts", "/api/v1/experts/{expert_id}/unavailability",
                 "/api/v1/experts/{expert_id}/affiliations",
                 "/api/v1/experts/{expert_id}/conflicts",
                 "/api/v1/organizations", "/api/v1/cases", "/api/v1/requests",
                 "/api/v1/requests/{request_id}/cancel", "/api/v1/assignments",
                 "/api/v1/assignments/{assignment_id}/decline", "/api/v1/tokens"]:
        assert path in spec["paths"], path
    assert "bearerAuth" in spec["components"]["securitySchemes"]


def test_swagger_ui_loads_only_local_assets(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.get_data(as_text=True))
    assert assets, "the page references its scripts and styles"
    for asset in assets:
        assert asset.startswith("/static/"), asset
        with client.get(asset) as response:  # a streamed file: close it
            assert response.status_code == 200, asset


def test_landing_page_links_to_the_docs(client):
    page = client.get("/").get_data(as_text=True)
    assert "/api/v1/docs" in page and "/api/v1/openapi.json" in page


def test_unknown_api_route_is_a_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_wrong_method_is_a_405_that_says_what_is_allowed(client, world, as_):
    response = client.delete("/api/v1/cases", headers=as_("admin"))
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"] and "POST" in response.headers["Allow"]


@pytest.mark.parametrize(("data", "content_type"), [
    ("{not json", "application/json"),
    ("[1, 2, 3]", "application/json"),
    ('"a string"', "application/json"),
    ("name=x", "application/x-www-form-urlencoded"),
])
def test_malformed_bodies_are_4xx_never_500(client, world, as_, data, content_type):
    response = client.post("/api/v1/experts", headers=as_("admin"), data=data,
                           content_type=content_type)
    assert 400 <= response.status_code < 500
    assert response.get_json()["message"]


def test_huge_ids_are_404_not_500(client, world, as_):
    response = client.get(f"/api/v1/experts/{10**30}", headers=as_("admin"))
    assert response.status_code == 404


def test_html_pages_get_html_errors(client):
    response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "<title>404 ·" in response.get_data(as_text=True)


@pytest.mark.parametrize("field", ["organization_id", "counsel_id"])
def test_ids_beyond_any_row_are_refused_as_invalid(client, world, as_, field):
    party = {"organization_id": world.gd_court.id, "role": "plaintiff", field: 10**30}
    response = client.post("/api/v1/cases", headers=as_("clerk_sh"), json={
        "number": "（2025）沪73知民初77号", "kind": "civil", "fields": ["G06F"],
        "parties": [party]})
    assert response.status_code == 422
    assert field in str(response.get_json()["errors"])


@pytest.mark.parametrize(("method", "url", "body"), [
    ("GET", "/api/v1/cases?number=%00", None),
    ("POST", "/api/v1/organizations", {"name": "A\x00B", "kind": "company"}),
    ("POST", "/api/v1/cases", {"number": "x", "kind": "civil", "fields": ["G06F"],
                               "parties": [{"role": "plaintiff\x00"}]}),
])
def test_nul_characters_are_refused_on_every_database(client, world, as_, method, url, body):
    # PostgreSQL cannot store NUL in text: refusing it everywhere keeps the backends alike.
    response = client.open(url, method=method, headers=as_("admin"), json=body)
    assert response.status_code == 422
    assert "NUL" in response.get_json()["message"]


def test_a_body_past_the_size_limit_is_refused_before_it_is_read(client):
    response = client.post("/api/v1/tokens", data=b"x" * (8 * 1024 * 1024 + 1),
                           headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 413
    assert response.get_json()["code"] == 413
