"""Accounts: each role acts within one scope (a body, a region or an expert record)."""

import re

from sqlalchemy import func, select

from registry.extensions import db
from registry.models import (
    DomainError,
    Expert,
    Jurisdiction,
    Organization,
    RecognitionAgreement,
    User,
    UserRole,
)
from registry.services import audit

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
MIN_PASSWORD = 8
# The one scope each role takes (None: admins act everywhere).
SCOPE_OF_ROLE = {UserRole.CLERK: "body", UserRole.COORDINATOR: "region",
                 UserRole.EXPERT: "expert_id", UserRole.ADMIN: None}
SCOPE_NEEDS = {"body": "a handling body (court, IP administration or arbitration institution)",
               "region": "a region (a jurisdiction such as SH or an agreement such as YRD)",
               "expert_id": "an expert"}


def create_user(email: str, role: str, password: str, *, body=None, region: str | None = None,
                expert_id: int | None = None, actor: User | None = None) -> User:
    """Check everything, then add the account and its audit event (flushed, not committed).

    Args:
        body: a handling body's id or its registry code (e.g. "sh_ipc"), for clerks.
        region: a jurisdiction code (SH) or an agreement code (YRD, GBA), for coordinators.
        expert_id: the expert a login is for, for experts.
    Raises:
        DomainError: naming the field that is wrong.
    """
    check_password(password)
    user = build_user(email, role, body=body, region=region, expert_id=expert_id)
    user.set_password(password)
    return add_user(user, actor)


def build_user(email: str, role: str, *, body=None, region: str | None = None,
               expert_id: int | None = None) -> User:
    """A checked, unsaved account without a password."""
    email = check_email(email)
    role = check_role(role)
    scope = resolve_scope(role, {"body": body, "region": region, "expert_id": expert_id})
    user = User(email=email, role=role, **scope)
    user.check_scope()
    return user


def add_user(user: User, actor: User | None = None) -> User:
    """Add the account with its audit event, and flush so that it has an id."""
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "create", "user", user.id, after={
        "email": user.email, "role": user.role.value, "body_id": user.body_id,
        "region": user.region, "expert_id": user.expert_id})
    return user


def check_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not EMAIL.match(email):
        raise DomainError("{email!r} is not an email address", field="email", email=email)
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise DomainError("an account with the email {email} already exists", field="email",
                          email=email)
    return email


def check_role(role) -> UserRole:
    try:
        return UserRole(role)
    except ValueError:
        choices = ", ".join(r.value for r in UserRole)
        raise DomainError("unknown role {role!r}: choose one of {choices}", field="role",
                          role=role, choices=choices) from None


def check_password(password: str | None) -> None:
    if not password or len(password) < MIN_PASSWORD:
        raise DomainError("the password needs at least {min_length} characters",
                          field="password", min_length=MIN_PASSWORD)


def resolve_scope(role: UserRole, given: dict) -> dict:
    """The User columns for the role's scope; scopes of other roles must not be given."""
    wanted = SCOPE_OF_ROLE[role]
    for name, value in given.items():
        if name != wanted and value not in (None, ""):
            raise DomainError("a {role} account takes no {scope}", field=name,
                              role=role.value, scope=name)
    if wanted is None:
        return {}
    if given[wanted] in (None, ""):
        raise DomainError("a {role} account needs {scope}", field=wanted,
                          role=role.value, scope=SCOPE_NEEDS[wanted])
    if wanted == "body":
        return {"body_id": find_handling_body(given["body"]).id}
    if wanted == "region":
        return {"region": check_region(given["region"])}
    return {"expert_id": check_expert_free(given["expert_id"])}


def find_handling_body(body) -> Organization:
    """A handling body by id (a number) or by registry code such as sh_ipc."""
    key = str(body).strip()
    organization = db.session.get(Organization, int(key)) if key.isdigit() else None
    if organization is None:
        organization = db.session.scalar(
            select(Organization).where(Organization.registry_id == key))
    if organization is None:
        raise DomainError("no organization has the id or code {key!r}", field="body", key=key)
    if not organization.handles_cases:
        raise DomainError("{organization} is a {kind}, not a court, "
                          "IP administration or arbitration institution", field="body",
                          organization=organization.name, kind=organization.kind.value)
    return organization


def check_region(region: str) -> str:
    code = region.strip().upper()
    if db.session.get(Jurisdiction, code) is None and \
            db.session.get(RecognitionAgreement, code) is None:
        raise DomainError("unknown region {region!r}: give a jurisdiction code (SH, GD ...) "
                          "or an agreement code (YRD, GBA)", field="region", region=region)
    return code


def check_expert_free(expert_id) -> int:
    expert = db.session.get(Expert, int(expert_id)) if str(expert_id).isdigit() else None
    if expert is None:
        raise DomainError("no expert has the id {expert_id}", field="expert_id",
                          expert_id=expert_id)
    if db.session.scalar(select(User.id).where(User.expert_id == expert.id)) is not None:
        raise DomainError("expert {expert_id} ({expert_name}) already has an account",
                          field="expert_id", expert_id=expert.id, expert_name=expert.name)
    return expert.id


def set_active(user: User, active: bool, actor: User) -> User:
    """Deactivating an account stops its tokens at once (they are checked on every call)."""
    audit.record(actor, "update", "user", user.id, before={"active": user.active},
                 after={"active": active})
    user.active = active
    return user
