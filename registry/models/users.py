"""Accounts, their roles and scopes, and API tokens."""

import enum
import hashlib
import secrets
from datetime import datetime, timedelta

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from registry.extensions import db
from registry.models.base import DomainError, UTCDateTime, utcnow
from registry.models.experts import Expert, enum_column
from registry.models.organizations import Organization


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

    body: Mapped[Organization | None] = relationship()
    expert: Mapped[Expert | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.active

    def set_password(self, password: str) -> None:
        if len(password) < 8:
            raise DomainError("the password needs at least 8 characters", field="password")
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
