"""Accounts, their roles and scopes, and API tokens."""

import enum
import functools
import hashlib
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from registry.extensions import db
from registry.i18n import N_
from registry.models.base import DomainError, UTCDateTime, utcnow
from registry.models.experts import Expert, enum_column
from registry.models.organizations import Organization

# -- the password policy: every account, whoever sets its password (admin, user, CLI) ----------

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 200
# 19,640 common passwords, lower case (source and licence: seeds/common-passwords.md).
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parents[2] / "seeds" / "common-passwords.txt"
TOO_SHORT = N_("the password needs at least {min_length} characters")
TOO_LONG = N_("the password may have at most {max_length} characters")
TOO_COMMON = N_("This password is one of the most common ones; choose another.")
HOLDS_EMAIL = N_("The password must not contain the account's email address.")


@functools.cache
def common_passwords() -> frozenset[str]:
    """Read once per process, on first use: starting a process costs no file read."""
    with open(COMMON_PASSWORDS_FILE, encoding="utf-8") as file:
        return frozenset(line.rstrip("\n") for line in file if line.strip())


def is_common_password(password: str) -> bool:
    return password.strip().lower() in common_passwords()


def holds_email(password: str, email: str) -> bool:
    return bool(email) and email.strip().lower() in password.lower()


def check_password_policy(password: str | None, email: str | None = None) -> None:
    """Refuse a password that is too short or long, common, or holds the account's email.

    Raises:
        DomainError: on the field "password".
    """
    password = password or ""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise DomainError(TOO_SHORT, field="password", min_length=PASSWORD_MIN_LENGTH)
    if len(password) > PASSWORD_MAX_LENGTH:
        raise DomainError(TOO_LONG, field="password", max_length=PASSWORD_MAX_LENGTH)
    if is_common_password(password):
        raise DomainError(TOO_COMMON, field="password")
    if email and holds_email(password, email):
        raise DomainError(HOLDS_EMAIL, field="password")


class UserRole(enum.StrEnum):
    CLERK = "clerk"              # a court or agency clerk, scoped to one handling body
    COORDINATOR = "coordinator"  # scoped to a region: a jurisdiction or an agreement
    EXPERT = "expert"            # scoped to one expert record
    ADMIN = "admin"


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[UserRole] = enum_column(UserRole)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    region: Mapped[str | None] = mapped_column(String(16))
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert.id"), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set by an admin's password reset: the next sign-in must choose a new password.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of every session's signed user id (get_id): raising it ends every page session of
    # the account, which Flask keeps in the browser's cookie and so cannot delete.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    body: Mapped[Organization | None] = relationship()
    expert: Mapped[Expert | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch or 0}"

    def holds_session(self, epoch: str) -> bool:
        return epoch == str(self.session_epoch or 0)

    def end_sessions(self) -> None:
        """Every page session of the account stops working (sign-out, a password reset or
        change, deactivation): a copied cookie is worth nothing afterwards."""
        self.session_epoch = (self.session_epoch or 0) + 1

    def set_password(self, password: str) -> None:
        """Hash a password that passes the policy (`check_password_policy`)."""
        check_password_policy(password, self.email)
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def check_scope(self) -> None:
        """Each role needs exactly the scope it acts in."""
        needed = {UserRole.CLERK: ("body_id", self.body_id),
                  UserRole.COORDINATOR: ("region", self.region),
                  UserRole.EXPERT: ("expert_id", self.expert_id)}.get(self.role)
        if needed and needed[1] is None:
            raise DomainError("a {role} account needs a {scope}", field=needed[0],
                              role=self.role.value, scope=needed[0])


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    """A bearer token; only its hash is stored, so a leaked database leaks no tokens."""

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @classmethod
    def issue(cls, user: User, lifetime: timedelta) -> tuple["ApiToken", str]:
        token = secrets.token_urlsafe(32)
        return cls(token_hash=hash_token(token), user=user, expires_at=utcnow() + lifetime), token
