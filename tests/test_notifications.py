"""Mail after a confirmation: who gets it, what it links to, and that only a commit sends it.

The mails go to a real SMTP server (aiosmtpd) on a free port of 127.0.0.1.

Tests that confirm through `services.assignments.confirm` (or the API) and expect mail rely on
the call `notifications.assignment_confirmed(assignment)` inside `confirm()`; until that call
is there they fail. They are the ones that call `confirm_and_commit` or post to the API and
then expect a mail; the others queue with `queue_confirmed` (service, then the queue call,
which a hook makes a harmless repeat: the queue holds an assignment once).
"""

import email
import logging
from dataclasses import dataclass
from datetime import date
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from registry import create_app
from registry.config import ConfigError, mail_settings
from registry.extensions import db
from registry.models import (
    Assignment,
    AssignmentStatus,
    DeclaredConflict,
    OrganizationKind,
    Party,
    PartyRole,
    RequestStatus,
    SolverRun,
    UserRole,
)
from registry.services import assignments as service
from registry.services import notifications
from tests.processes import free_port

PUBLIC_URL = "https://registry.example.cn"
PASSWORD = "correct horse battery"  # what tests.factories gives every user


# -- a real SMTP server --------------------------------------------------------------------------

@dataclass
class Received:
    peer: tuple  # the client's address: one connection, one peer
    to: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        return self.message.get_content()


class Inbox:
    """An aiosmtpd handler that keeps what it receives and refuses listed recipients."""

    def __init__(self):
        self.received: list[Received] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append(Received(session.peer, list(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def recipients(self) -> list[str]:
        return sorted(address for mail in self.received for address in mail.to)

    def to(self, address: str) -> Received:
        [mail] = [mail for mail in self.received if address in mail.to]
        return mail


@pytest.fixture
def inbox(app):
    """The app sends by SMTP to a local server; yields what that server received."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port,
                      MAIL_FROM="registry@example.cn", MAIL_TIMEOUT=5, MAIL_USE_TLS=False,
                      PUBLIC_URL=PUBLIC_URL)
    yield handler
    controller.stop()


# -- helpers -------------------------------------------------------------------------------------

def confirm_and_commit(*assignments, actor):
    """Confirm through the service, as every path does, and commit once (needs the hook)."""
    for assignment in assignments:
        service.confirm(assignment, actor)
    db.session.commit()


def queue_confirmed(assignment, actor):
    """Confirm, and queue the mail by hand: for tests of the transaction, not of the hook."""
    service.confirm(assignment, actor)
    notifications.assignment_confirmed(assignment)


def proposal(request, expert):
    assignment = Assignment(request=request, expert=expert, reasons=["test"])
    db.session.add(assignment)
    request.status = RequestStatus.PROPOSED
    db.session.flush()
    return assignment


def mail_of(world, name):
    return world.users[name].email


def path_of(link: str) -> str:
    assert link.startswith(PUBLIC_URL + "/")
    return link.removeprefix(PUBLIC_URL)


def links_in(body: str) -> list[str]:
    """The links in a mail, once each (its Chinese and English parts repeat them)."""
    return list(dict.fromkeys(word for word in body.split() if word.startswith(PUBLIC_URL)))


def sign_in(client, user):
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


@pytest.fixture
def yrd(make, world):
    """A second court in the same region (Nanjing), its clerk, and a proposal on its case."""
    court = make.body("nanjing", name="南京市中级人民法院", case_number_code="苏01")
    case = make.case(body=court, number="（2024）苏01知民初7号")
    request = make.request(case=case)
    clerk = make.user(UserRole.CLERK, body_id=court.id)
    nj_proposal = proposal(request, world.js_expert)
    db.session.commit()
    return court, case, clerk, nj_proposal


# -- who gets mail, and where its link leads -----------------------------------------------------

def test_confirming_a_proposal_mails_the_expert_and_each_active_clerk_of_the_body(
        inbox, world, make):
    second = make.user(UserRole.CLERK, body_id=world.sh_court.id)
    inactive = make.user(UserRole.CLERK, body_id=world.sh_court.id, active=False)
    confirm_and_commit(world.proposal, actor=world.users["coordinator_yrd"])
    assert inbox.recipients() == sorted([mail_of(world, "expert_sh"), mail_of(world, "clerk_sh"),
                                         second.email])
    assert inactive.email not in inbox.recipients()
    assert mail_of(world, "clerk_gd") not in inbox.recipients()
    for mail in inbox.received:
        assert "（2024）沪73知民初101号" in mail.body and len(mail.to) == 1


def test_the_links_lead_to_the_page_where_each_recipient_sees_the_confirmation(
        inbox, world, client):
    confirm_and_commit(world.proposal, actor=world.users["coordinator_yrd"])
    [expert_link] = links_in(inbox.to(mail_of(world, "expert_sh")).body)
    [clerk_link] = links_in(inbox.to(mail_of(world, "clerk_sh")).body)
    assert path_of(expert_link) == "/expert/"
    assert path_of(clerk_link) == f"/clerk/requests/{world.sh_request.id}"
    sign_in(client, world.users["expert_sh"])
    page = client.get(path_of(expert_link))
    assert page.status_code == 200 and f'id="assignment-{world.proposal.id}"' in page.text
    client.post("/sign-out")
    sign_in(client, world.users["clerk_sh"])
    page = client.get(path_of(clerk_link))
    assert page.status_code == 200 and "（2024）沪73知民初101号" in page.text


def test_confirming_through_the_api_mails_the_expert_and_the_clerks(inbox, world, client, as_):
    response = client.post(f"/api/v1/assignments/{world.proposal.id}/confirm",
                           headers=as_("coordinator_yrd"))
    assert response.status_code == 200
    assert inbox.recipients() == sorted([mail_of(world, "expert_sh"),
                                         mail_of(world, "clerk_sh")])


def test_a_hand_pick_mails_the_expert_and_the_clerks(inbox, world, client, as_):
    response = client.post("/api/v1/assignments", headers=as_("coordinator_yrd"), json={
        "request_id": world.sh_request.id, "expert_id": world.js_expert.id, "note": "急"})
    assert response.status_code == 201, response.get_json()
    assert inbox.recipients() == sorted([world.js_expert.email, mail_of(world, "clerk_sh")])


def test_an_expert_without_an_account_gets_mail_at_its_contact_address_without_a_link(
        inbox, world, yrd):
    _court, _case, clerk, nj_proposal = yrd
    confirm_and_commit(nj_proposal, actor=world.users["coordinator_yrd"])
    assert inbox.recipients() == sorted([world.js_expert.email, clerk.email])
    assert links_in(inbox.to(world.js_expert.email).body) == []


def test_an_expert_whose_account_is_inactive_gets_mail_at_its_contact_address(inbox, world):
    world.users["expert_sh"].active = False
    db.session.commit()
    confirm_and_commit(world.proposal, actor=world.users["coordinator_yrd"])
    assert world.sh_expert.email in inbox.recipients()
    assert mail_of(world, "expert_sh") not in inbox.recipients()


# -- a party-protecting rule: only the case's own handling body hears of it ----------------------

def test_no_one_outside_the_handling_body_gets_the_clerks_mail(inbox, world, make, yrd):
    """Clerks of another court, of a party's organization and of an earlier stage's court,
    and non-clerks scoped to the court, all get nothing, even when one commit confirms
    seats of two courts and two experts."""
    _court, nj_case, nj_clerk, nj_proposal = yrd
    party_court = make.body("hangzhou", name="杭州某公司", kind=OrganizationKind.COMPANY)
    world.sh_case.parties.append(Party(organization=party_court, role=PartyRole.DEFENDANT))
    party_clerk = make.user(UserRole.CLERK, body_id=party_court.id)
    world.sh_case.earlier_stage = nj_case
    outsiders = [party_clerk,
                 make.user(UserRole.COORDINATOR, region="YRD", body_id=world.sh_court.id),
                 make.user(UserRole.ADMIN, body_id=world.sh_court.id),
                 world.users["clerk_gd"], world.users["coordinator_yrd"]]
    db.session.commit()
    confirm_and_commit(world.proposal, nj_proposal, actor=world.users["coordinator_yrd"])
    assert inbox.recipients() == sorted([mail_of(world, "expert_sh"), mail_of(world, "clerk_sh"),
                                         world.js_expert.email, nj_clerk.email])
    assert not {user.email for user in outsiders} & set(inbox.recipients())
    sh_number, nj_number = "（2024）沪73知民初101号", nj_case.number
    for address, own, other in [(mail_of(world, "clerk_sh"), sh_number, nj_number),
                                (mail_of(world, "expert_sh"), sh_number, nj_number),
                                (nj_clerk.email, nj_number, sh_number),
                                (world.js_expert.email, nj_number, sh_number)]:
        mail = inbox.to(address)
        assert own in mail.body and other not in mail.body + mail.message["Subject"]
    assert world.js_expert.name not in inbox.to(mail_of(world, "expert_sh")).body


def test_an_address_that_smuggles_a_header_gets_nothing_and_the_others_still_do(
        inbox, world, yrd, caplog):
    _court, _case, clerk, nj_proposal = yrd
    world.js_expert.email = "li@example.cn\r\nBcc: spy@example.cn"
    db.session.commit()
    queue_confirmed(nj_proposal, world.users["coordinator_yrd"])
    db.session.commit()
    assert inbox.recipients() == [clerk.email]
    assert "spy@example.cn" in caplog.text  # the bad address is named in the log


# -- one mail per recipient per commit -----------------------------------------------------------

def test_several_confirmations_in_one_commit_make_one_mail_per_recipient_over_one_connection(
        inbox, world, make):
    other_case = make.case(body=world.sh_court, number="（2024）沪73知民初202号")
    written = proposal(make.request(case=other_case), world.sh_expert)
    db.session.commit()
    confirm_and_commit(world.proposal, written, actor=world.users["coordinator_yrd"])
    assert inbox.recipients() == sorted([mail_of(world, "expert_sh"),
                                         mail_of(world, "clerk_sh")])
    for mail in inbox.received:
        assert "（2024）沪73知民初101号" in mail.body and "（2024）沪73知民初202号" in mail.body
    clerk_links = links_in(inbox.to(mail_of(world, "clerk_sh")).body)
    assert [path_of(link) for link in clerk_links] == [
        f"/clerk/requests/{world.sh_request.id}", f"/clerk/requests/{written.request_id}"]
    assert len({mail.peer for mail in inbox.received}) == 1


# -- nothing leaves before the commit, or without one --------------------------------------------

@pytest.mark.parametrize("case", ["clerk", "conflict", "twice"])
def test_a_refused_confirmation_sends_nothing(inbox, world, make, client, as_, case):
    url = f"/api/v1/assignments/{world.proposal.id}/confirm"
    if case == "twice":
        world.proposal.status = AssignmentStatus.CONFIRMED
    if case == "conflict":
        party = make.organization(name="涉案公司")
        world.sh_case.parties.append(Party(organization=party, role=PartyRole.DEFENDANT))
        world.sh_expert.conflicts.append(DeclaredConflict(organization=party, reason="顾问"))
    db.session.commit()
    response = client.post(url, headers=as_("clerk_sh" if case == "clerk" else "coordinator_yrd"))
    assert response.status_code == {"clerk": 403, "conflict": 422, "twice": 409}[case]
    assert inbox.received == []


def test_a_queued_assignment_that_is_not_confirmed_at_commit_sends_nothing(inbox, world):
    notifications.assignment_confirmed(world.proposal)  # still only proposed
    db.session.commit()
    assert inbox.received == []


def test_a_rolled_back_confirmation_sends_nothing_then_or_later(inbox, world):
    queue_confirmed(world.proposal, world.users["coordinator_yrd"])
    db.session.rollback()
    world.sh_case.title = "a later, unrelated change"
    db.session.commit()
    assert inbox.received == []
    assert db.session.get(Assignment, world.proposal.id).status is AssignmentStatus.PROPOSED


def test_a_closed_session_forgets_what_it_queued(inbox, world):
    queue_confirmed(world.proposal, world.users["coordinator_yrd"])
    db.session.close()
    db.session.get(Assignment, world.proposal.id).reasons = ["touched"]
    db.session.commit()
    assert inbox.received == []


def test_a_savepoint_sends_only_at_the_commit_and_not_what_it_rolled_back(inbox, world, yrd):
    coordinator = world.users["coordinator_yrd"]
    nj_proposal = yrd[3]
    with db.session.begin_nested():
        queue_confirmed(world.proposal, coordinator)
    assert inbox.received == []  # released, not committed
    savepoint = db.session.begin_nested()
    queue_confirmed(nj_proposal, coordinator)
    savepoint.rollback()
    db.session.commit()
    assert inbox.recipients() == sorted([mail_of(world, "expert_sh"),
                                         mail_of(world, "clerk_sh")])


# -- when sending fails, the confirmation stands -------------------------------------------------

def test_with_the_smtp_server_down_the_confirmation_commits_and_the_failure_is_logged(
        app, world, caplog):
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(),
                      MAIL_FROM="registry@example.cn", MAIL_TIMEOUT=2)
    queue_confirmed(world.proposal, world.users["coordinator_yrd"])
    with caplog.at_level(logging.INFO, logger="registry"):
        db.session.commit()
    db.session.expire_all()
    assert db.session.get(Assignment, world.proposal.id).status is AssignmentStatus.CONFIRMED
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert sorted(r.args[0] for r in failures) == sorted([mail_of(world, "expert_sh"),
                                                          mail_of(world, "clerk_sh")])
    assert all("Connection refused" in r.getMessage() and not r.exc_info for r in failures)


def test_with_the_smtp_server_down_the_api_confirmation_still_succeeds(
        app, world, client, as_, caplog):
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(),
                      MAIL_FROM="registry@example.cn", MAIL_TIMEOUT=2)
    response = client.post(f"/api/v1/assignments/{world.proposal.id}/confirm",
                           headers=as_("coordinator_yrd"))
    assert response.status_code == 200 and response.get_json()["status"] == "confirmed"
    assert "not sent" not in response.get_data(as_text=True)
    assert f"mail to {mail_of(world, 'clerk_sh')} not sent" in caplog.text


def test_a_recipient_the_server_refuses_is_logged_and_the_others_get_their_mail(
        inbox, world, caplog):
    inbox.refuse.add(mail_of(world, "clerk_sh"))
    queue_confirmed(world.proposal, world.users["coordinator_yrd"])
    db.session.commit()
    assert inbox.recipients() == [mail_of(world, "expert_sh")]
    assert f"mail to {mail_of(world, 'clerk_sh')} not sent: 550" in caplog.text


def test_a_server_without_starttls_gets_nothing_when_tls_is_required(app, inbox, world, caplog):
    app.config["MAIL_USE_TLS"] = True
    queue_confirmed(world.proposal, world.users["coordinator_yrd"])
    db.session.commit()
    assert inbox.received == []
    assert f"mail to {mail_of(world, 'expert_sh')} not sent" in caplog.text
    assert "STARTTLS" in caplog.text


# -- what the mail says --------------------------------------------------------------------------

def test_the_mail_is_in_chinese_first_then_in_english(inbox, world):
    queue_confirmed(world.proposal, world.users["coordinator_yrd"])
    db.session.commit()
    for address in (mail_of(world, "expert_sh"), mail_of(world, "clerk_sh")):
        mail = inbox.to(address)
        assert mail.body.index("案号") < mail.body.index("Case number")
        assert mail.body.index("2025-03-03 – 2025-03-04") < mail.body.index("Case number")
        assert "（2024）沪73知民初101号" in mail.message["Subject"]
        assert mail.message["Auto-Submitted"] == "auto-generated"
        assert mail.message["From"] == "registry@example.cn"


def test_the_console_backend_prints_the_mail_and_sends_nothing(app, inbox, world, capsys):
    app.config["MAIL_BACKEND"] = "console"
    queue_confirmed(world.proposal, world.users["coordinator_yrd"])
    db.session.commit()
    printed = capsys.readouterr().out
    assert f"To: {mail_of(world, 'expert_sh')}" in printed
    assert f"{PUBLIC_URL}/clerk/requests/{world.sh_request.id}" in printed
    assert inbox.received == []


def test_the_none_backend_sends_nothing(app, inbox, world):
    app.config["MAIL_BACKEND"] = "none"
    queue_confirmed(world.proposal, world.users["coordinator_yrd"])
    db.session.commit()
    assert inbox.received == []


# -- settings ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("env", "server", "backend"), [
    ("production", "smtp.example.cn", "smtp"), ("production", "", "none"),
    ("development", "", "console"), ("development", "localhost", "smtp"),
    ("testing", "smtp.example.cn", "none"),
])
def test_the_mail_backend_follows_the_environment(monkeypatch, env, server, backend):
    monkeypatch.delenv("MAIL_BACKEND", raising=False)
    monkeypatch.setenv("MAIL_SERVER", server)
    assert mail_settings(env)["MAIL_BACKEND"] == backend


def test_mail_settings_come_from_the_environment(monkeypatch):
    for name, value in {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "smtp.example.cn",
                        "MAIL_PORT": "587", "MAIL_USE_TLS": "true", "MAIL_USERNAME": "reg",
                        "MAIL_PASSWORD": "pw", "MAIL_FROM": "registry@example.cn",
                        "MAIL_TIMEOUT": "3.5", "PUBLIC_URL": "https://r.example.cn"}.items():
        monkeypatch.setenv(name, value)
    settings = mail_settings("production")
    assert (settings["MAIL_PORT"], settings["MAIL_USE_TLS"], settings["MAIL_TIMEOUT"]) == \
        (587, True, 3.5)
    assert settings["PUBLIC_URL"] == "https://r.example.cn"


@pytest.mark.parametrize(("name", "value"), [("MAIL_BACKEND", "carrier-pigeon"),
                                             ("MAIL_PORT", "smtp"), ("MAIL_USE_TLS", "maybe")])
def test_a_bad_mail_setting_is_refused(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        mail_settings("production")


@pytest.mark.parametrize("missing", ["MAIL_SERVER", "MAIL_FROM"])
def test_smtp_without_a_server_or_a_sender_refuses_to_start(database_url, missing):
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test",
              "MAIL_BACKEND": "smtp", "MAIL_SERVER": "smtp.example.cn",
              "MAIL_FROM": "registry@example.cn", missing: ""}
    with pytest.raises(ConfigError, match=missing):
        create_app(config)


def test_days_are_listed_in_the_mail(inbox, world, make):
    request = make.request(case=world.sh_case, days=[(date(2025, 5, 6), date(2025, 5, 6)),
                                                     (date(2025, 5, 8), date(2025, 5, 9))])
    queue_confirmed(proposal(request, world.sh_expert), world.users["coordinator_yrd"])
    db.session.commit()
    assert "2025-05-06, 2025-05-08 – 2025-05-09" in inbox.to(mail_of(world, "expert_sh")).body


def test_confirming_a_solver_run_mails_each_recipient_once_about_what_was_confirmed(
        inbox, world, make, yrd):
    """Confirm-all: a savepoint per proposal; a refused one is rolled back and left out."""
    _court, nj_case, nj_clerk, nj_proposal = yrd
    party = make.organization(name="涉案公司")
    refused_case = make.case(body=world.sh_court, number="（2024）沪73知民初303号",
                             parties=[party])
    world.sh_expert.conflicts.append(DeclaredConflict(organization=party, reason="顾问"))
    refused = proposal(make.request(case=refused_case), world.sh_expert)
    run = SolverRun(region="YRD", window_from=date(2025, 1, 1), window_to=date(2025, 12, 31))
    db.session.add(run)
    for assignment in (world.proposal, nj_proposal, refused):
        assignment.solver_run = run
    db.session.commit()
    outcome = service.confirm_run(run, world.users["coordinator_yrd"])
    db.session.commit()
    assert [a for a, _error in outcome["refused"]] == [refused]
    assert inbox.recipients() == sorted([mail_of(world, "expert_sh"), mail_of(world, "clerk_sh"),
                                         world.js_expert.email, nj_clerk.email])
    for mail in inbox.received:
        assert "（2024）沪73知民初303号" not in mail.body + mail.message["Subject"]
