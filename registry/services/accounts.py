"""Accounts: each role acts within one scope (a body, a region or an expert record).

Creating, listing, changing role and scope, (de)activating and password resets, for the admin
pages and the API alike; every change is audited without the password or its hash, and no
change may leave the registry without an active admin (`keep_an_active_admin`).
"""

import functools
import re
import unicodedata
from datetime import timedelta

from sqlalchemy import Select, delete, exists, func, or_, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from registry.extensions import db
from registry.i18n import N_
from registry.models import (
    HANDLING_BODY_KINDS,
    ApiToken,
    DomainError,
    Expert,
    Jurisdiction,
    Organization,
    RecognitionAgreement,
    User,
    UserRole,
    utcnow,
)
from registry.models.base import clean_email
from registry.schemas.common import parse_id
from registry.services import audit, organizations

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# The one scope each role takes (None: admins act everywhere).
SCOPE_OF_ROLE = {UserRole.CLERK: "body", UserRole.COORDINATOR: "region",
                 UserRole.EXPERT: "expert_id", UserRole.ADMIN: None}
SCOPE_NEEDS = {"body": N_("a handling body (court, IP administration or arbitration "
                          "institution)"),
               "region": N_("a region (a jurisdiction such as SH or an agreement such as YRD)"),
               "expert_id": N_("an expert")}


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
    user = build_user(email, role, body=body, region=region, expert_id=expert_id)
    user.set_password(password)  # the password policy, with the account's email
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
    audit.record(actor, "create", "user", user.id, after=snapshot(user))
    return user


def snapshot(user: User) -> dict:
    """What the audit log keeps of an account: never its password or hash (resets and
    choices of a password are events of their own)."""
    return {"email": user.email, "role": UserRole(user.role).value, "body_id": user.body_id,
            "region": user.region, "expert_id": user.expert_id,
            "active": user.active is not False}


def check_email(email: str) -> str:
    email = (email or "").strip().lower()
    # Invisible characters (U+200B, U+202E ...) would make look-alike accounts.
    hidden = any(unicodedata.category(char) in ("Cc", "Cf") for char in email)
    if hidden or not EMAIL.match(email):
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


def resolve_scope(role: UserRole, given: dict, user: User | None = None) -> dict:
    """The User columns for the role's scope; scopes of other roles must not be given.

    `user` is the account being changed: the expert it already belongs to stays free for it.
    """
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
    return {"expert_id": check_expert_free(given["expert_id"], user)}


def find_handling_body(body) -> Organization:
    """A handling body by id (a number) or by registry code such as sh_ipc."""
    key = str(body).strip()
    body_id = parse_id(key)
    organization = db.session.get(Organization, body_id) if body_id else None
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


def check_expert_free(expert_id, user: User | None = None) -> int:
    key = parse_id(expert_id)
    expert = db.session.get(Expert, key) if key else None
    if expert is None:
        raise DomainError("no expert has the id {expert_id}", field="expert_id",
                          expert_id=expert_id)
    holder = db.session.scalar(select(User.id).where(User.expert_id == expert.id))
    if holder is not None and (user is None or holder != user.id):
        raise DomainError("expert {expert_id} ({expert_name}) already has an account",
                          field="expert_id", expert_id=expert.id, expert_name=expert.name)
    return expert.id


class LastActiveAdmin(DomainError):
    """The change would leave no active admin to manage accounts (HTTP 409)."""

    status = 409


def keep_an_active_admin(user: User, role: UserRole, active: bool) -> None:
    """Refuse a change that would leave no active admin: the one place this rule is decided.

    Called before the change is made, inside its transaction. The active admins are counted
    afresh with every one of their rows locked, this account's too (FOR UPDATE on PostgreSQL;
    SQLite, whose writers take turns, ignores it), so two admins removing each other at once
    cannot both succeed: the second waits for the first to commit, then counts again.
    """
    if user.role is not UserRole.ADMIN or not user.active:
        return  # not an active admin now: the change removes none
    if role is UserRole.ADMIN and active:
        return
    admins = db.session.scalars(
        select(User.id).where(User.role == UserRole.ADMIN, User.active.is_(True))
        .order_by(User.id).with_for_update()).all()
    if not [admin_id for admin_id in admins if admin_id != user.id]:
        field = "active" if not active else "role"
        raise LastActiveAdmin("{email} is the last active admin: make another account an "
                              "active admin first", field=field, email=user.email)


def update_account(user: User, data: dict, actor: User) -> User:
    """Change an account's role and scope and/or whether it is active, for pages and API alike.

    Args:
        data: any of role, body, region, expert_id (the role's scope, as in create_user) and
            active. A scope given without a role keeps the current role.
    """
    role = check_role(data.get("role", user.role))
    active = data.get("active", user.active)
    scope_keys = ("body", "region", "expert_id")
    new_scope = None
    if "role" in data or any(key in data for key in scope_keys):
        new_scope = resolve_scope(role, {key: data.get(key) for key in scope_keys}, user)
    keep_an_active_admin(user, role, active)
    before = snapshot(user)
    if new_scope is not None:
        user.role = role
        user.body_id = user.region = user.expert_id = None
        for column, value in new_scope.items():
            setattr(user, column, value)
        user.check_scope()
    user.active = active
    after = snapshot(user)
    changed = [key for key in after if after[key] != before[key]]
    if changed:
        audit.record(actor, "update", "user", user.id,
                     before={key: before[key] for key in changed},
                     after={key: after[key] for key in changed})
    if before["active"] and not active:
        revoke_tokens(user, actor, reason="deactivated")
        user.end_sessions()  # so that reactivating revives no session either
    return user


def set_active(user: User, active: bool, actor: User) -> User:
    """Deactivating an account deletes its tokens: reactivating it revives none."""
    return update_account(user, {"active": active}, actor)


def reset_password(user: User, password: str, actor: User) -> User:
    """Give the account a temporary password; its next sign-in must choose a new one.

    The account's API tokens are revoked and its page sessions ended: a reset usually means
    the old password leaked, and whoever holds an old session must not choose the new one.
    """
    before = user.must_change_password
    user.set_password(password)
    user.must_change_password = True
    user.end_sessions()
    revoked = revoke_tokens(user, actor, reason="password reset")
    audit.record(actor, "reset_password", "user", user.id,
                 before={"must_change_password": bool(before)},
                 after={"must_change_password": True, "tokens_revoked": revoked})
    return user


def choose_password(user: User, password: str) -> User:
    """The user replaces a temporary password with one of its own; any other session that
    signed in with the temporary one ends (the caller signs its own session in again)."""
    if user.check_password(password):
        raise DomainError("choose a password other than the temporary one", field="password")
    user.set_password(password)
    user.must_change_password = False
    user.end_sessions()
    audit.record(user, "change_password", "user", user.id,
                 before={"must_change_password": True}, after={"must_change_password": False})
    return user


# -- API tokens --------------------------------------------------------------------------------

def issue_token(user: User, lifetime: timedelta) -> tuple[ApiToken, str]:
    """A new bearer token for the account (added, not committed); expired tokens go first."""
    purge_expired_tokens()
    stored, token = ApiToken.issue(user, lifetime)
    db.session.add(stored)
    audit.record(user, "token.issued", "user", user.id,
                 after={"token": stored.token_hash[:12],
                        "expires_at": stored.expires_at.isoformat()})
    return stored, token


def revoke_token(stored: ApiToken, actor: User) -> None:
    """Delete one token (its holder signing out of the API)."""
    audit.record(actor, "token.revoked", "user", stored.user_id,
                 after={"token": stored.token_hash[:12], "reason": "revoked by its holder"})
    db.session.delete(stored)


def revoke_tokens(user: User, actor: User | None, reason: str) -> int:
    """Delete every token of the account; return how many there were."""
    revoked = db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id)).rowcount
    if revoked:
        audit.record(actor, "token.revoked", "user", user.id,
                     after={"tokens": revoked, "reason": reason})
    return revoked


def purge_expired_tokens() -> int:
    """Delete the tokens whose time is up (they no longer work anyway); return how many."""
    return db.session.execute(delete(ApiToken).where(ApiToken.expires_at <= utcnow())).rowcount


# -- lists and pickers -------------------------------------------------------------------------

def accounts_query(args: dict) -> Select:
    """Accounts by email, role, scope (a body's or expert's name, a region code) and activity.

    Each account comes with its body and expert, which lists show.
    """
    query = select(User).options(joinedload(User.body), joinedload(User.expert)) \
        .order_by(User.email, User.id)
    if args.get("email"):
        query = query.where(User.email.contains(args["email"].strip().lower(), autoescape=True))
    if args.get("role"):
        query = query.where(User.role == args["role"])
    if args.get("active") is not None:
        query = query.where(User.active.is_(args["active"]))
    if text := (args.get("scope") or "").strip():
        bodies = select(Organization.id).where(or_(organizations.name_matches(text),
                                                   Organization.registry_id == text))
        experts = select(Expert.id).where(Expert.name.contains(text, autoescape=True))
        query = query.where(or_(func.upper(User.region) == text.upper(),
                                User.body_id.in_(bodies), User.expert_id.in_(experts)))
    return query


def search_body_options(text: str, limit: int = 30) -> list[dict]:
    """Handling bodies (courts, IP administrations, arbitration institutions) for a clerk."""
    if not text:
        return []
    query = organizations.search({"name": text}) \
        .where(Organization.kind.in_(HANDLING_BODY_KINDS)).limit(limit)
    return [organizations.option(organization) for organization in db.session.scalars(query)]


def expert_option(expert: Expert) -> dict:
    return {"value": str(expert.id),
            "text": f"{expert.name} · {expert.home_city.name_zh} · #{expert.id}"}


def search_expert_options(text: str, limit: int = 30) -> list[dict]:
    """Experts whose name holds the text and who have no account yet."""
    if not text:
        return []
    query = (select(Expert).options(joinedload(Expert.home_city))
             .where(Expert.name.contains(text, autoescape=True),
                    ~exists().where(User.expert_id == Expert.id))
             .order_by(Expert.name, Expert.id).limit(limit))
    return [expert_option(expert) for expert in db.session.scalars(query)]


def chosen_option(kind: str, value: str | None) -> dict | None:
    """The picker option for a value already chosen (to show a form again), if it exists."""
    key = parse_id(value)
    if key is None:
        return None
    if kind == "body":
        organization = db.session.get(Organization, key)
        return organizations.option(organization) if organization else None
    expert = db.session.get(Expert, key, options=[joinedload(Expert.home_city)])
    return expert_option(expert) if expert else None


def region_choices(english: bool) -> list[tuple[str, str]]:
    """Agreements (YRD, GBA) then jurisdictions, as (code, name) in the reader's language."""
    agreements = db.session.scalars(select(RecognitionAgreement)
                                    .order_by(RecognitionAgreement.code))
    jurisdictions = db.session.scalars(select(Jurisdiction).order_by(Jurisdiction.code))
    return [(row.code, f"{row.code} · {row.name_en if english else row.name_zh}")
            for row in [*agreements, *jurisdictions]]


@functools.cache
def _nobody() -> str:
    """Checked against when no account has the email, so that a wrong email costs as much time
    as a wrong password and the answer time does not tell which accounts exist. Hashed on
    first use, not at import: every process would pay a full password hash to start. It uses
    the same method as every account's hash (werkzeug's default)."""
    return generate_password_hash("no account has this email")


def account_id(email: str) -> int | None:
    """The id of the account with this email (for the audit log of sign-in attempts)."""
    email = (email or "").strip().lower()
    if not email.isprintable():
        return None
    return db.session.scalar(select(User.id).where(User.email == email))


def authenticate(email: str, password: str) -> User | None:
    """The active account these credentials belong to, or None: one check for pages and API.

    Every failure costs one full password hash: unknown, inactive and known accounts alike.
    """
    try:  # the address in its one spelling (full-width letters, upper case, spaces around)
        email = clean_email((email or "").strip())
    except DomainError:  # a NUL, control or invisible character names no account
        email = None
    user = email and db.session.scalar(select(User).where(User.email == email))
    if user is None:
        check_password_hash(_nobody(), password)
        return None
    return user if user.check_password(password) and user.active else None
