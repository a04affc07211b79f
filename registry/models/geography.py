"""Cities, province-level jurisdictions, and agreements recognising appointments across them."""

from datetime import date

from sqlalchemy import Column, Date, Float, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import Base, db
from registry.models.base import DomainError

agreement_member = Table(
    "agreement_member",
    Base.metadata,
    Column("agreement_code", ForeignKey("recognition_agreement.code"), primary_key=True),
    Column("jurisdiction_code", ForeignKey("jurisdiction.code"), primary_key=True),
)


class Jurisdiction(db.Model):
    """A province-level unit whose bodies appoint experts (SH, JS, ZJ, AH, GD, HK, MO, BJ)."""

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(80))

    cities: Mapped[list["City"]] = relationship(back_populates="jurisdiction")


class City(db.Model):
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(80))
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdiction.code"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    adcode: Mapped[str | None] = mapped_column(String(6))

    jurisdiction: Mapped[Jurisdiction] = relationship(back_populates="cities")


EXPERT_ROLES = ("investigator", "arbitrator", "consultant")  # ExpertRole's values


class RecognitionAgreement(db.Model):
    """A group of jurisdictions that recognise each other's appointments for some roles: the
    YRD memorandum for technical investigators, the Qianhai–Hong Kong arrangement for
    arbitrators."""

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(200))
    effective_from: Mapped[date] = mapped_column(Date)
    # The roles it covers, ';'-separated (investigator;consultant); null: every role.
    roles: Mapped[str | None] = mapped_column(String(64))

    members: Mapped[list[Jurisdiction]] = relationship(secondary=agreement_member)

    def member_codes(self) -> set[str]:
        return {member.code for member in self.members}

    @property
    def role_names(self) -> list[str]:
        """The roles whose appointments it recognises (every role when none is named)."""
        named = [role for role in (self.roles or "").split(";") if role]
        return sorted(named or EXPERT_ROLES)

    def set_roles(self, roles) -> None:
        unknown = sorted(set(roles) - set(EXPERT_ROLES))
        if unknown:
            raise DomainError("unknown role {role!r}", field="roles", role=unknown[0])
        self.roles = ";".join(sorted(set(roles))) or None

    def covers_role(self, role) -> bool:
        return getattr(role, "value", role) in self.role_names

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day
