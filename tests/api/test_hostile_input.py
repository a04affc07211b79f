"""Hostile input (registry/input_guard.py, docs/hostile-input.md): each limit, tried.

Each input here answered 500 (or was silently mangled) before the guard; now each gets a 4xx
in the API's JSON error shape, naming where the problem is.
"""

import base64
import io

import pytest
from werkzeug.test import encode_multipart

from registry.extensions import db
from registry.input_guard import MAX_INTEGER_DIGITS, MAX_JSON_DEPTH
from registry.models import Case, DispatchRequest


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["code"] == status and body["message"]  # the API's one error shape
    return body


@pytest.fixture
def sign_in(client, world):
    def as_user(name: str):
        response = client.post("/sign-in", data={"email": world.users[name].email,
                                                 "password": "correct horse battery"})
        assert response.status_code == 302
    return as_user


def post_raw(client, url, data: bytes, headers=None, content_type="application/json"):
    return client.post(url, data=data, headers={**(headers or {}), "Content-Type": content_type})


# -- sizes --------------------------------------------------------------------------------

def test_a_json_body_over_one_megabyte_is_refused_before_it_is_read(client, as_):
    body = b'{"note": "' + b"x" * (1024 * 1024) + b'"}'
    error_of(post_raw(client, "/api/v1/cases", body, as_("admin")), 413)


def test_an_anonymous_oversized_body_is_refused_too(client):
    error_of(post_raw(client, "/api/v1/tokens", b"[" * (2 * 1024 * 1024)), 413)


def test_a_chunked_body_without_length_is_cut_off_at_the_limit(client, as_):
    # No Content-Length, as with Transfer-Encoding: chunked: the read itself must stop.
    stream = io.BytesIO(b" " * (3 * 1024 * 1024))
    response = client.post("/api/v1/cases", input_stream=stream,
                           environ_overrides={"wsgi.input_terminated": True},
                           headers={**as_("admin"), "Content-Type": "application/json"})
    error_of(response, 413)
    assert stream.tell() <= 1024 * 1024 + 65536  # read no further than the limit


def test_a_spreadsheet_upload_keeps_the_larger_limit(client, sign_in):
    sign_in("admin")
    big_but_allowed = b"x" * (2 * 1024 * 1024)  # over the JSON limit, under the upload one
    # Encoded in memory: the test client would spool it to a file it never closes.
    boundary, body = encode_multipart({"file": (io.BytesIO(big_but_allowed), "experts.xlsx")})
    response = client.post("/admin/experts/import", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code in (200, 302, 422), response.status_code  # read, then judged


# -- JSON: depth, surrogates, numbers -------------------------------------------------------------

@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 500, 100_000])
def test_json_nested_too_deep_is_refused_anonymous_or_not(client, as_, depth):
    body = b"[" * depth + b"]" * depth
    # The token endpoint authenticates itself: its body is parsed for anonymous callers.
    for url, headers in (("/api/v1/tokens", {}), ("/api/v1/cases", as_("admin"))):
        error = error_of(post_raw(client, url, body, headers), 422)
        assert str(MAX_JSON_DEPTH) in error["message"]


def test_json_at_the_depth_limit_passes_the_guard(client, as_):
    body = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    response = post_raw(client, "/api/v1/cases", body, as_("admin"))
    assert response.status_code == 422 and "json" in response.get_json()["errors"]
    assert str(MAX_JSON_DEPTH) not in response.get_json()["message"]  # the schema refused it


def test_anonymous_calls_are_refused_before_their_body_is_parsed(client):
    body = b"[" * 100_000 + b"]" * 100_000
    error_of(post_raw(client, "/api/v1/cases", body), 401)


@pytest.mark.parametrize("raw", [rb'"\ud800"', rb'"\udfff x"', rb'"a\ud83d"'])
def test_a_lone_surrogate_is_refused_naming_where(client, world, as_, raw):
    body = b'{"number": "x", "kind": "civil", "fields": ["G06F"], "title": ' + raw + b"}"
    error = error_of(post_raw(client, "/api/v1/cases", body, as_("clerk_sh")), 422)
    assert error["errors"]["json"] == {"title": ["contains a lone surrogate"]}


def test_a_lone_surrogate_in_a_key_is_refused(client, as_):
    error = error_of(post_raw(client, "/api/v1/cases", rb'{"\udc00": 1}', as_("admin")), 422)
    assert "\udc00" not in str(error)  # the answer itself must be encodable


def test_a_surrogate_pair_is_a_character_and_passes(client, world, as_):
    body = (b'{"number": "\xef\xbc\x882025\xef\xbc\x89\xe6\xb2\xaa73\xe7\x9f\xa5\xe6\xb0\x91'
            b'\xe5\x88\x9d5\xe5\x8f\xb7", "kind": "civil", "fields": ["G06F"], '
            rb'"title": "\ud83d\ude00"}')
    response = post_raw(client, "/api/v1/cases", body, as_("clerk_sh"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["title"] == "\U0001f600"


@pytest.mark.parametrize("number", [b"9" * 5000, b"-" + b"9" * (MAX_INTEGER_DIGITS + 1)])
def test_an_over_long_integer_is_refused_before_conversion(client, world, as_, number):
    body = b'{"case_id": ' + number + b', "role": "investigator", "service": "hearing"}'
    error = error_of(post_raw(client, "/api/v1/requests", body, as_("clerk_sh")), 422)
    assert error["errors"]["json"] == {"case_id": [f"an integer longer than "
                                                   f"{MAX_INTEGER_DIGITS} digits"]}


@pytest.mark.parametrize("raw", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_numbers_that_are_not_finite_are_refused(client, world, as_, raw):
    body = b'{"case_id": 1, "role": "investigator", "service": "hearing", "priority": ' + \
        raw + b"}"
    error = error_of(post_raw(client, "/api/v1/requests", body, as_("clerk_sh")), 422)
    assert list(error["errors"]["json"]) == ["priority"]


def test_invalid_json_is_a_400(client, as_):
    error_of(post_raw(client, "/api/v1/cases", b'{"number": ', as_("admin")), 400)
    error_of(post_raw(client, "/api/v1/cases", b'"\xff\xfe"', as_("admin")), 400)


def test_problems_are_named_by_path(client, world, as_):
    body = {"number": "x", "kind": "civil", "fields": ["G06F"],
            "parties": [{"organization_id": 1, "role": "plaintiff\x01"}]}
    error = error_of(client.post("/api/v1/cases", json=body, headers=as_("clerk_sh")), 422)
    assert error["errors"]["json"] == {"parties.0.role": ["contains a control character"]}


# -- integers where integers are expected -----------------------------------------------------

@pytest.mark.parametrize(("field", "value"), [("priority", 3.9), ("seats", 1.5),
                                              ("priority", "3.9"), ("case_id", True)])
def test_a_non_integral_number_is_refused_not_truncated(client, world, as_, field, value):
    body = {"case_id": world.sh_case.id, "role": "investigator", "service": "hearing",
            field: value}
    before = db.session.query(DispatchRequest).count()
    error = error_of(client.post("/api/v1/requests", json=body, headers=as_("clerk_sh")), 422)
    assert field in error["errors"]["json"]
    assert db.session.query(DispatchRequest).count() == before


def test_an_integral_float_is_the_integer(client, world, as_):
    body = {"case_id": world.sh_case.id, "role": "investigator", "service": "written_opinion",
            "priority": 4.0}
    response = client.post("/api/v1/requests", json=body, headers=as_("clerk_sh"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["priority"] == 4


# -- headers, credentials, query strings --------------------------------------------------

def basic(user: bytes, password: bytes) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(user + b":" + password).decode()}


@pytest.mark.parametrize("headers", [
    basic(b"admin\x00@example.com", b"pw"), basic(b"admin@example.com", b"p\x00w"),
    basic(b"a\x1b[31m", b"pw"), {"X-Anything": "a\x00b"}, {"Authorization": "Bearer a\x00b"},
])
def test_a_control_character_in_a_header_is_a_400_before_anything_runs(client, headers):
    error_of(client.post("/api/v1/tokens", headers=headers), 400)
    error_of(client.get("/api/v1/cases", headers=headers), 400)


@pytest.mark.parametrize("query", ["page=" + "9" * 5000, "per_page=" + "1" * 31,
                                   "case_id=-" + "9" * 40, "number=%01", "number=a%7Fb"])
def test_query_strings_obey_the_same_rules(client, world, as_, query):
    error = error_of(client.get(f"/api/v1/requests?{query}", headers=as_("admin")), 422)
    assert list(error["errors"]["query"]) == [query.partition("=")[0]]


@pytest.mark.parametrize("query", ["page=10001", "per_page=101", "page=0", "page=2.5"])
def test_pages_are_capped(client, world, as_, query):
    error_of(client.get(f"/api/v1/cases?{query}", headers=as_("admin")), 422)


def test_a_form_with_a_control_character_is_refused(client, world, sign_in):
    sign_in("clerk_sh")
    response = client.post("/clerk/cases/new", data={"kind": "civil", "title": "a\x1bb",
                                                     "number": "（2025）沪73知民初55号",
                                                     "fields": ["G06F"]})
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert db.session.query(Case).filter_by(number="（2025）沪73知民初55号").count() == 0


def test_a_partial_update_still_needs_whole_field_entries(client, world, as_):
    # Found by schemathesis: PATCH with {"fields": [{"code": "H"}]} was a 500 (KeyError).
    url = f"/api/v1/experts/{world.sh_expert.id}"
    response = client.patch(url, headers=as_("admin"), json={"fields": [{"code": "H04W"}]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["fields"] == [{"code": "H04W", "proficiency": 2}]
    response = client.patch(url, headers=as_("admin"), json={"fields": [{"proficiency": 2}]})
    assert response.status_code == 422
