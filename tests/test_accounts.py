"""Creating accounts: each role gets exactly its scope; bad input is refused and nothing written."""

import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import AuditEvent, DomainError, Organization, User, UserRole
from registry.services import seeding
from registry.services.accounts import create_user

PASSWORD = "long enough to pass"


@pytest.fixture
def reference(app):
    seeding.load_reference_data()
    db.session.commit()


def body_id(code: str) -> int:
    return db.session.scalar(select(Organization.id).where(Organization.registry_id == code))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# -- the service -----------------------------------------------------------------------------

def test_clerk_is_scoped_to_a_court_given_by_its_code(reference):
    user = create_user(" Clerk@Court.CN ", "clerk", PASSWORD, body="sh_ipc")
    assert (user.email, user.role, user.body_id) == ("clerk@court.cn", UserRole.CLERK,
                                                     body_id("sh_ipc"))
    assert user.check_password(PASSWORD)


def test_clerk_body_may_be_given_by_id(reference):
    user = create_user("clerk@scia.cn", "clerk", PASSWORD, body=str(body_id("scia")))
    assert user.body.registry_id == "scia"


@pytest.mark.parametrize("region, stored", [("SH", "SH"), ("yrd", "YRD"), ("GBA", "GBA")])
def test_coordinator_region_is_a_jurisdiction_or_an_agreement(reference, region, stored):
    assert create_user("c@example.cn", "coordinator", PASSWORD, region=region).region == stored


def test_expert_account_is_linked_to_its_expert(make):
    expert = make.expert()
    assert create_user("e@example.cn", "expert", PASSWORD, expert_id=expert.id).expert is expert


def test_admin_needs_no_scope(app):
    user = create_user("root@example.cn", "admin", PASSWORD)
    assert (user.body_id, user.region, user.expert_id) == (None, None, None)


def test_creating_a_user_writes_an_audit_event(reference):
    user = create_user("clerk@court.cn", "clerk", PASSWORD, body="sh_ipc")
    db.session.commit()  # (events are written at the commit, as the pages' is)
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.entity, event.entity_id) == ("create", "user", str(user.id))
    assert event.after["email"] == "clerk@court.cn" and "password" not in str(event.after)


@pytest.mark.parametrize("email, role, password, scope, field, message", [
    ("not-an-email", "admin", PASSWORD, {}, "email", "not an email"),
    ("a@b.cn", "judge", PASSWORD, {}, "role", "unknown role 'judge'"),
    ("a@b.cn", "admin", "short", {}, "password", "at least 12 characters"),
    ("a@b.cn", "admin", "eleven char", {}, "password", "at least 12 characters"),
    ("a@b.cn", "admin", "Q1W2E3R4T5Y6", {}, "password", "most common"),
    ("a@b.cn", "admin", " qwerty123456 ", {}, "password", "most common"),
    ("long.name@court.cn", "admin", "Long.Name@Court.cn!", {}, "password", "email address"),
    ("a@b.cn", "clerk", PASSWORD, {}, "body", "needs a handling body"),
    ("a@b.cn", "clerk", PASSWORD, {"body": "xx_court"}, "body", "no organization"),
    ("a@b.cn", "coordinator", PASSWORD, {}, "region", "needs a region"),
    ("a@b.cn", "coordinator", PASSWORD, {"region": "XX"}, "region", "unknown region"),
    ("a@b.cn", "expert", PASSWORD, {}, "expert_id", "needs an expert"),
    ("a@b.cn", "expert", PASSWORD, {"expert_id": 999}, "expert_id", "no expert"),
    ("a@b.cn", "admin", PASSWORD, {"region": "SH"}, "region", "takes no region"),
    ("a@b.cn", "coordinator", PASSWORD, {"region": "SH", "body": "sh_ipc"}, "body",
     "takes no body"),
])
def test_bad_input_is_refused_with_the_field_named(reference, email, role, password, scope,
                                                   field, message):
    with pytest.raises(DomainError, match=message) as error:
        create_user(email, role, password, **scope)
    assert error.value.field == field
    assert count(User) == count(AuditEvent) == 0


def test_clerk_body_must_handle_cases(make):
    company = make.organization(name="ACME Ltd")
    with pytest.raises(DomainError, match="ACME Ltd is a company, not a court") as error:
        create_user("a@b.cn", "clerk", PASSWORD, body=company.id)
    assert error.value.field == "body"


def test_email_is_unique_whatever_its_case(app):
    create_user("admin@example.cn", "admin", PASSWORD)
    with pytest.raises(DomainError, match="already exists") as error:
        create_user("ADMIN@example.cn", "admin", PASSWORD)
    assert error.value.field == "email"


def test_an_expert_has_at_most_one_account(make):
    expert = make.expert()
    create_user("first@example.cn", "expert", PASSWORD, expert_id=expert.id)
    with pytest.raises(DomainError, match="already has an account"):
        create_user("second@example.cn", "expert", PASSWORD, expert_id=expert.id)


# -- flask create-user -----------------------------------------------------------------------

def create_user_command(runner, *args):
    return runner.invoke(args=["create-user", *args, "--password", PASSWORD])


def test_create_user_command_creates_a_clerk_for_a_court_code(runner, reference):
    result = create_user_command(runner, "Clerk@Court.cn", "--role", "clerk", "--body", "sh_ipc")
    assert result.exit_code == 0, result.output
    assert "Created clerk clerk@court.cn" in result.output
    assert db.session.scalar(select(User.body_id)) == body_id("sh_ipc")


def test_create_user_command_creates_a_coordinator_for_an_agreement(runner, reference):
    result = create_user_command(runner, "yrd@example.cn", "--role", "coordinator",
                                 "--region", "YRD")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.region)) == "YRD"


@pytest.mark.parametrize("args, message", [
    (["a@b.cn", "--role", "judge"], "Invalid value for '--role'"),
    (["a@b.cn", "--role", "clerk"], "a clerk account needs a handling body"),
    (["a@b.cn", "--role", "clerk", "--body", "nowhere"], "no organization has the id or code"),
    (["a@b.cn", "--role", "coordinator", "--region", "XX"], "unknown region 'XX'"),
    (["a@b.cn", "--role", "expert", "--expert", "42"], "no expert has the id 42"),
    (["bad-email", "--role", "admin"], "is not an email address"),
])
def test_create_user_command_refuses_bad_input_and_writes_nothing(runner, reference, args,
                                                                  message):
    result = create_user_command(runner, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert count(User) == count(AuditEvent) == 0


def test_create_user_command_refuses_a_short_password(runner, app):
    result = runner.invoke(args=["create-user", "a@b.cn", "--role", "admin",
                                 "--password", "short"])
    assert result.exit_code != 0
    assert "the password needs at least 12 characters" in result.output
    assert count(User) == 0


def test_create_user_command_refuses_a_duplicate_email(runner, app):
    assert create_user_command(runner, "admin@example.cn", "--role", "admin").exit_code == 0
    result = create_user_command(runner, "Admin@Example.cn", "--role", "admin")
    assert result.exit_code != 0
    assert "an account with the email admin@example.cn already exists" in result.output
    assert count(User) == 1
