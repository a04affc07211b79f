"""A coordinator's day, in Chinese, against the live server and a real worker process.

The YRD coordinator runs the solver and watches the progress reach the proposal; opens one
request's alternatives; tries an expert who has declared a conflict with a party (as the
expert would on its own page, meanwhile) and is refused with the rule in words, nothing
changed; uses a valid alternative instead; confirms the whole proposal in one step. Then
the request's clerk sees the chosen expert on the request page and the expert sees the work
on its own list. The request and the experts come from the seeded registry and the solver's
own proposal, never hard-coded.
"""

import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from registry.extensions import db
from registry.models import (
    Assignment,
    AssignmentStatus,
    DeclaredConflict,
    SolverRun,
    User,
    UserRole,
)
from registry.services import accounts, dispatch
from tests.browser.harness import DOCS_SCREENSHOTS, screenshot, sign_out
from tests.processes import flask

COORDINATOR = "coordinator.yrd"
PASSWORD = "correct horse battery staple"
SOLVE_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def worker(live_server, tmp_path_factory):
    """One `flask worker` process on the live server's database, as `make demo` starts."""
    process = flask(live_server.app.config["SQLALCHEMY_DATABASE_URI"], "worker",
                    "--executor-id", f"browser-{uuid.uuid4().hex[:8]}",
                    log=tmp_path_factory.mktemp("worker") / "worker.log")
    yield process
    process.terminate()
    process.wait(timeout=30)


def a_request_to_rework(live_server, run_id: int):
    """A one-seat request of the run with a proposal, and two of its alternatives: the first
    gets a conflict declared now (with a party of the case), the second breaks nothing but
    the full seat it will take over."""
    with live_server.app_context():
        run = db.session.get(SolverRun, run_id)
        proposals = db.session.scalars(select(Assignment).where(
            Assignment.solver_run_id == run_id,
            Assignment.status == AssignmentStatus.PROPOSED).order_by(Assignment.id))
        for proposal in proposals:
            request = proposal.request
            if request.seats != 1 or not request.case.parties:
                continue
            options = dispatch.candidates(request, run)
            free = [c for c in options if {k["rule"] for k in c.clashes} <= {"seats"}]
            if len(free) >= 2:
                conflicted, chosen = free[0].expert, free[1].expert
                party = request.case.parties[0].organization_id
                db.session.add(DeclaredConflict(expert_id=conflicted.id, organization_id=party,
                                                reason="曾为该公司提供咨询"))
                db.session.commit()
                return request.id, conflicted.id, chosen.id, chosen.name
    pytest.fail(f"run {run_id} proposed no one-seat request with two clean alternatives")


def account_for(live_server, role: UserRole, column: str, value: int) -> str:
    """The e-mail of an active account of this role for a body (clerks) or an expert, made
    now as an admin would if there is none; its password is set to PASSWORD."""
    with live_server.app_context():
        user = db.session.scalar(select(User).where(User.role == role, User.active,
                                                    getattr(User, column) == value))
        if user is None:
            scope = {"body": value} if column == "body_id" else {"expert_id": value}
            user = accounts.create_user(f"{role.value}-{uuid.uuid4().hex[:6]}@demo.example.com",
                                        role.value, PASSWORD, **scope)
        user.set_password(PASSWORD)
        user.must_change_password = False
        db.session.commit()
        return user.email


def test_coordinator_runs_reviews_overrides_and_confirms(page, live_server, sign_in, worker):
    page.on("dialog", lambda dialog: dialog.accept())  # "Confirm all …?"
    sign_in(COORDINATOR)
    expect(page.locator("main h1")).to_be_visible()

    page.goto(live_server.link("/console/runs"))
    page.locator("#time_limit_s").fill("5")
    page.locator("#run-form button[type=submit]").click()
    expect(page.locator("#run-progress")).to_be_visible()
    screenshot(page, "console-progress", DOCS_SCREENSHOTS)
    expect(page.locator("#proposal-heading")).to_be_visible(timeout=SOLVE_TIMEOUT_MS)
    run_id = int(page.url.split("/console/runs/")[1].split("?")[0].split("#")[0])
    screenshot(page, "console-proposal-full")  # the whole page, in artifacts/ only
    page.screenshot(path=str(DOCS_SCREENSHOTS / "console-proposal.png"))  # what one sees
    expect(page.locator("figure:has([data-chart=map]) canvas").first).to_be_visible()
    page.locator("figure:has([data-chart=map])").screenshot(
        path=str(DOCS_SCREENSHOTS / "console-map.png"))

    # Re-plan what changed (nothing yet): the worker re-plans from this proposal.
    page.get_by_role("button", name="只重排变动之处").click()
    expect(page.locator("#proposal-heading")).to_be_visible(timeout=SOLVE_TIMEOUT_MS)
    replanned = int(page.url.split("/console/runs/")[1].split("?")[0].split("#")[0])
    with live_server.app_context():
        again = db.session.get(SolverRun, replanned).timings
        assert replanned != run_id and again["replan"] is True
        assert again["previous_kept"] == again["previous_total"] > 0  # nothing had changed
    run_id = replanned

    request_id, conflicted, chosen, chosen_name = a_request_to_rework(live_server, run_id)
    page.goto(live_server.link(f"/console/requests/{request_id}/candidates?run={run_id}"))
    row = page.locator("tr", has=page.locator(f"input[name=expert_id][value='{conflicted}']"))
    row.get_by_role("button").click()
    expect(page.locator("[role=alert]").first).to_be_visible()
    expect(page.locator("#use-form")).to_contain_text("利益冲突")
    with live_server.app_context():  # refused: nothing changed
        assert db.session.scalar(select(Assignment).where(
            Assignment.request_id == request_id, Assignment.expert_id == conflicted)) is None

    row = page.locator("tr", has=page.locator(f"input[name=expert_id][value='{chosen}']"))
    row.get_by_role("button").click()
    expect(page.locator("#proposal-heading")).to_be_visible()
    expect(page.locator(f"#request-{request_id}")).to_contain_text(chosen_name)

    page.locator(f"form[action$='/runs/{run_id}/confirm'] button").click()
    expect(page.locator(".flash-success").first).to_be_visible()
    with live_server.app_context():
        held = db.session.scalar(select(Assignment).where(
            Assignment.request_id == request_id, Assignment.expert_id == chosen))
        assert held.status is AssignmentStatus.CONFIRMED
        body_id = held.request.case.handling_body_id

    clerk = account_for(live_server, UserRole.CLERK, "body_id", body_id)
    sign_out(page)
    sign_in(clerk, PASSWORD)
    page.goto(live_server.link(f"/clerk/requests/{request_id}"))
    expect(page.locator("main")).to_contain_text(chosen_name)

    expert = account_for(live_server, UserRole.EXPERT, "expert_id", chosen)
    sign_out(page)
    sign_in(expert, PASSWORD)
    page.goto(live_server.link("/expert/"))
    with live_server.app_context():
        number = db.session.get(Assignment, held.id).request.case.number
    expect(page.locator("main")).to_contain_text(number)
