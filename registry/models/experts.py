"""Experts (technical investigators, arbitrators, consultants) and what they declare."""

import enum
import re
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from registry.extensions import db
from registry.models.base import DomainError, UTCDateTime, utcnow
from registry.models.geography import City, Jurisdiction
from registry.models.organizations import Organization

# An IPC symbol at any depth we match on: section (G), class (G06), subclass (G06F),
# optionally a main group (G06F30). Matching is by prefix, so deeper codes refine shallower ones.
IPC_CODE = re.compile(r"^[A-H](\d{2}([A-Z](\d{1,4}(/\d{2,6})?)?)?)?$")


class ExpertRole(enum.StrEnum):
    INVESTIGATOR = "investigator"
    ARBITRATOR = "arbitrator"
    CONSULTANT = "consultant"


class ExpertStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    RETIRED = "retired"


class CreditKind(enum.StrEnum):
    """Discipline and credit records shared across regions (Qianhai measures)."""

    NOTE = "note"
    WARNING = "warning"
    SERIOUS = "serious"
    SUSPENSION = "suspension"


DISQUALIFYING_CREDIT = frozenset({CreditKind.SERIOUS, CreditKind.SUSPENSION})


def check_range(start: date | None, end: date | None, what: str) -> None:
    if start and end and end < start:
        raise DomainError("{what} ends ({end}) before it starts ({start})", field="end",
                          what=what, end=end, start=start)


def enum_column(enum_type, length=24, **kwargs):
    return mapped_column(Enum(enum_type, native_enum=False, length=length,
                              values_callable=lambda e: [m.value for m in e]), **kwargs)


class Expert(db.Model):
    __table_args__ = (
        CheckConstraint("max_concurrent >= 1", name="max_concurrent_positive"),
        CheckConstraint("max_travel_km IS NULL OR max_travel_km >= 0",
                        name="max_travel_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    home_city_code: Mapped[str] = mapped_column(ForeignKey("city.code"), index=True)
    appointing_body_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdiction.code"), index=True)
    appointed_from: Mapped[date | None] = mapped_column(Date)
    appointed_until: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ExpertStatus] = enum_column(ExpertStatus, default=ExpertStatus.ACTIVE,
                                               index=True)
    max_concurrent: Mapped[int] = mapped_column(Integer, default=3)
    max_travel_km: Mapped[float | None] = mapped_column(Float)
    # Private contact details: only the expert, coordinators of its region and admins see them.
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    # The secret in the expert's calendar feed URL (/calendar/<token>.ics): whoever holds the
    # URL reads its confirmed work, so it is random, per expert, and rotated on request.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    home_city: Mapped[City] = relationship()
    jurisdiction: Mapped[Jurisdiction] = relationship()
    appointing_body: Mapped[Organization | None] = relationship()
    roles: Mapped[list["ExpertRoleGrant"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")
    fields: Mapped[list["ExpertField"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ExpertField.ipc_code")
    languages: Mapped[list["ExpertLanguage"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")
    affiliations: Mapped[list["Affiliation"]] = relationship(
        back_populates="expert", cascade="all, delete-orphan")
    conflicts: Mapped[list["DeclaredConflict"]] = relationship(
        back_populates="expert", cascade="all, delete-orphan")
    unavailability: Mapped[list["Unavailability"]] = relationship(
        back_populates="expert", cascade="all, delete-orphan", order_by="Unavailability.start")
    credit_records: Mapped[list["CreditRecord"]] = relationship(
        back_populates="expert", cascade="all, delete-orphan")

    @validates("appointed_until")
    def _check_term(self, _key, until):
        check_range(self.appointed_from, until, "appointment term")
        return until

    @property
    def role_names(self) -> list[str]:
        return sorted(grant.role.value for grant in self.roles)

    @property
    def language_codes(self) -> list[str]:
        return sorted(entry.language for entry in self.languages)

    def set_roles(self, roles) -> None:
        if not roles:
            raise DomainError("an expert needs at least one role", field="roles")
        self.roles = [ExpertRoleGrant(role=ExpertRole(role)) for role in sorted(set(roles))]

    def set_languages(self, languages) -> None:
        self.languages = [ExpertLanguage(language=code) for code in sorted(set(languages))]

    def set_fields(self, proficiency_by_code: dict[str, int]) -> None:
        if not proficiency_by_code:
            raise DomainError("an expert needs at least one technical field", field="fields")
        self.fields = [ExpertField(ipc_code=code, proficiency=level)
                       for code, level in sorted(proficiency_by_code.items())]

    def disqualifying_records(self, on: date) -> list["CreditRecord"]:
        return [record for record in self.credit_records
                if record.kind in DISQUALIFYING_CREDIT and record.in_effect_on(on)]

    def is_eligible_on(self, day: date) -> bool:
        """Active, appointed on that day, and without a serious or suspending credit record."""
        if self.status is not ExpertStatus.ACTIVE or self.disqualifying_records(day):
            return False
        return ((self.appointed_from is None or self.appointed_from <= day)
                and (self.appointed_until is None or day <= self.appointed_until))


class ExpertRoleGrant(db.Model):
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"),
                                           primary_key=True)
    role: Mapped[ExpertRole] = enum_column(ExpertRole, primary_key=True)


class ExpertLanguage(db.Model):
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"),
                                           primary_key=True)
    # ISO 639-1 code: zh, en, yue (Cantonese), pt ...
    language: Mapped[str] = mapped_column(String(8), primary_key=True, index=True)


class ExpertField(db.Model):
    """A technical field as an IPC code with the expert's proficiency (1 basic .. 3 leading)."""

    __table_args__ = (CheckConstraint("proficiency BETWEEN 1 AND 3", name="proficiency_range"),)

    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"),
                                           primary_key=True)
    ipc_code: Mapped[str] = mapped_column(String(16), primary_key=True, index=True)
    proficiency: Mapped[int] = mapped_column(Integer, default=2)

    @validates("ipc_code")
    def _check_code(self, _key, code):
        if not IPC_CODE.match(code or ""):
            raise DomainError("{code!r} is not an IPC code such as G06F or H04L", field="fields",
                              code=code)
        return code

    @validates("proficiency")
    def _check_proficiency(self, _key, level):
        if level not in (1, 2, 3):
            raise DomainError("proficiency must be 1, 2 or 3", field="fields")
        return level


# Ties to a party that give an interest in its case rather than a post in it (CPL Art. 47(2),
# rule interest_in_case); any other current tie is a post (party_or_representative).
INTEREST_ROLES = frozenset({"shareholder", "licensee", "licensor", "inventor",
                            "股东", "被许可人", "许可人", "发明人"})


class Affiliation(db.Model):
    """Employment or another tie to an organization; current or recent ones cause conflicts."""

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"),
                                           index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    role: Mapped[str] = mapped_column(String(60), default="employee")
    start: Mapped[date | None] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)

    expert: Mapped[Expert] = relationship(back_populates="affiliations")
    organization: Mapped[Organization] = relationship()

    @validates("end")
    def _check_dates(self, _key, end):
        check_range(self.start, end, "affiliation")
        return end


class DeclaredConflict(db.Model):
    """An organization the expert declares it must not serve against or for."""

    __table_args__ = (UniqueConstraint("expert_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"),
                                           index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    reason: Mapped[str] = mapped_column(String(300), default="")
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    expert: Mapped[Expert] = relationship(back_populates="conflicts")
    organization: Mapped[Organization] = relationship()


class Unavailability(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"),
                                           index=True)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")

    expert: Mapped[Expert] = relationship(back_populates="unavailability")

    @validates("end")
    def _check_dates(self, _key, end):
        check_range(self.start, end, "unavailability")
        return end

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


class CreditRecord(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"),
                                           index=True)
    kind: Mapped[CreditKind] = enum_column(CreditKind)
    description: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)

    expert: Mapped[Expert] = relationship(back_populates="credit_records")

    def in_effect_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)
