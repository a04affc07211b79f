"""Refusals seen from a browser: a clerk stays within its body, an expert within /expert/.

The ids come from the demo registry the live server was seeded with, never hard-coded.
"""

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import Assignment, Case, DispatchRequest, Expert, Unavailability, User
from tests.browser.harness import path_of, screenshot, screenshot_languages

CLERK = "clerk.sh-ipc"  # the Shanghai IP Court's demo clerk


@dataclass(frozen=True)
class Ids:
    own_case: int           # a case of the clerk's body
    own_number: str
    other_case: int         # a case of another body
    other_number: str
    other_title: str
    other_request: int      # a request on another body's case
    expert: int             # the demo expert's own record
    other_expert: int       # someone else's
    other_assignment: int   # another expert's assignment
    other_unavailability: int  # another expert's unavailable days


@pytest.fixture(scope="module")
def ids(live_server) -> Ids:
    with live_server.app_context():
        clerk = db.session.scalar(select(User).where(User.email == live_server.logins[CLERK]))
        own = db.session.scalars(select(Case).where(Case.handling_body_id == clerk.body_id)
                                 .order_by(Case.id)).first()
        other = db.session.scalars(
            select(Case).where(Case.handling_body_id != clerk.body_id, Case.requests.any())
            .order_by(Case.id)).first()
        other_request = db.session.scalars(
            select(DispatchRequest).where(DispatchRequest.case_id == other.id)).first()
        expert_user = db.session.scalar(
            select(User).where(User.email == live_server.logins["expert"]))
        other_expert = db.session.scalar(select(Expert.id).where(
            Expert.id != expert_user.expert_id).order_by(Expert.id))
        other_assignment = db.session.scalar(select(Assignment.id).where(
            Assignment.expert_id != expert_user.expert_id).order_by(Assignment.id))
        other_unavailability = db.session.scalar(select(Unavailability.id).where(
            Unavailability.expert_id != expert_user.expert_id).order_by(Unavailability.id))
        return Ids(own.id, own.number, other.id, other.number, other.title,
                   other_request.id, expert_user.expert_id, other_expert, other_assignment,
                   other_unavailability)


def refused(page, live_server, path: str, status: int = 403):
    """Open a page expected to be refused; return the response after checking the page."""
    response = page.goto(live_server.link(path))
    assert response.status == status, f"{path}: {response.status}"
    assert page.locator("article.error-page h1").is_visible()
    assert path_of(page) == path  # refused in place, not sent elsewhere
    return response


def test_sign_in_page_in_both_languages(page, live_server):
    page.goto(live_server.link("/sign-in"))
    assert page.locator("html").get_attribute("lang") == "zh-Hans"  # zh-CN browser
    assert page.locator("input[name=csrf_token]").count() == 1
    screenshot_languages(page, "sign-in")

    # The switch in the header goes to English and is remembered without `?lang=`.
    page.locator("#language-switch").click()
    page.wait_for_url("**/sign-in?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto(live_server.link("/sign-in"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("main h1").inner_text() == "Sign in"


def test_wrong_password_is_refused_on_the_form(page, live_server):
    page.goto(live_server.link("/sign-in", "en"))
    page.locator("#email").fill(live_server.logins[CLERK])
    page.locator("#password").fill("not-the-password")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("main form button[type=submit]").click()
    assert posted.value.status == 422
    page.wait_for_load_state()
    assert path_of(page) == "/sign-in"
    assert page.locator("[role=alert]").count() >= 1


def test_clerk_sees_its_own_body_and_is_refused_another(page, live_server, sign_in, ids):
    sign_in(CLERK)
    assert path_of(page) == "/clerk/"
    assert page.locator("main h1").is_visible()
    screenshot_languages(page, "clerk-requests")

    response = page.goto(live_server.link(f"/clerk/cases/{ids.own_case}"))
    assert response.status == 200
    assert ids.own_number in page.locator("main").inner_text()

    # Another body's case and request are as good as missing: 404, nothing of them shown.
    refused(page, live_server, f"/clerk/cases/{ids.other_case}", 404)
    shown = page.content()
    assert ids.other_number not in shown
    assert not ids.other_title or ids.other_title not in shown
    screenshot(page, "clerk-refused-case.zh_Hans")

    refused(page, live_server, f"/clerk/requests/{ids.other_request}", 404)
    assert ids.other_number not in page.content()
    refused(page, live_server, f"/clerk/cases/{ids.other_case}/requests/new", 404)


def test_refusal_page_in_english(page, live_server, sign_in, ids):
    sign_in(CLERK)
    response = page.goto(live_server.link(f"/clerk/cases/{ids.other_case}", "en"))
    assert response.status == 404
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("article.error-page h1").inner_text() == "Not found"
    screenshot(page, "clerk-refused-case.en")


def test_expert_is_limited_to_expert_pages(page, live_server, sign_in, ids):
    sign_in("expert")
    assert path_of(page) == "/expert/"
    assert page.goto(live_server.link("/expert/")).status == 200

    refused(page, live_server, "/clerk/")
    refused(page, live_server, "/clerk/cases")
    refused(page, live_server, "/clerk/cases/new")
    refused(page, live_server, f"/clerk/cases/{ids.other_case}")


def test_expert_is_refused_another_experts_work_and_days(page, live_server, sign_in, ids):
    sign_in("expert")
    refused(page, live_server, f"/expert/assignments/{ids.other_assignment}/decline", 404)
    screenshot_languages(page, "expert-refused-assignment", status=404)
    with live_server.app_context():
        before = db.session.get(Unavailability, ids.other_unavailability)
        span = (before.start, before.end)
    answer = page.evaluate(
        """async (url) => {
            const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
            const response = await fetch(url, {method: "POST", headers: {"X-CSRFToken": token}});
            return response.status;
        }""", f"/expert/calendar/unavailability/{ids.other_unavailability}/remove")
    assert answer == 404  # another expert's row is not even named to it
    with live_server.app_context():
        still = db.session.get(Unavailability, ids.other_unavailability)
        assert still is not None and (still.start, still.end) == span


def api_get(page, path: str) -> dict:
    """GET from the page itself, with its cookies, as a script on the page would."""
    return page.evaluate(
        """async (url) => {
            const response = await fetch(url, {headers: {Accept: "application/json"}});
            return {status: response.status, body: await response.text()};
        }""", path)


def test_expert_session_does_not_read_another_expert(page, live_server, sign_in, ids):
    sign_in("expert")
    with live_server.app_context():
        other_name = db.session.get(Expert, ids.other_expert).name
    answer = api_get(page, f"/api/v1/experts/{ids.other_expert}")
    assert answer["status"] in (401, 403), answer
    assert other_name not in answer["body"]


def test_expert_session_does_not_open_the_api(page, live_server, sign_in, ids):
    """The API authenticates bearer tokens only: a page's session cookie gets a 401."""
    sign_in("expert")
    for expert_id in (ids.other_expert, ids.expert):
        answer = api_get(page, f"/api/v1/experts/{expert_id}")
        assert answer["status"] == 401, f"expert {expert_id}: {answer}"
