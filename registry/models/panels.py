"""Arbitration institutions' rosters: an arbitrator serves by a place on a panel, with dates.

An arbitrator is eligible for an institution's case through its roster, not through
geography (rule `jurisdiction`, docs/rules.md): a Hong Kong arbitrator on the roster of a
Shanghai institution may sit on its tribunals although Hong Kong and Shanghai share no
recognition agreement.
"""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship, validates

from registry.extensions import db
from registry.models.base import DomainError, UTCDateTime, utcnow
from registry.models.experts import Expert, check_range
from registry.models.organizations import Organization, OrganizationKind


class PanelMembership(db.Model):
    """A place on an arbitration institution's roster (仲裁员名册) from `start` to `end`
    (either open when null)."""

    __table_args__ = (CheckConstraint('start IS NULL OR "end" IS NULL OR start <= "end"',
                                      name="dates_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"),
                                           index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    start: Mapped[date | None] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    expert: Mapped[Expert] = relationship(backref=backref(
        "panel_memberships", cascade="all, delete-orphan",
        order_by="PanelMembership.start"))
    institution: Mapped[Organization] = relationship()

    @validates("end")
    def _check_dates(self, _key, end):
        check_range(self.start, end, "panel membership")
        return end

    @validates("institution")
    def _check_institution(self, _key, institution):
        if institution is not None and \
                institution.kind is not OrganizationKind.ARBITRATION_INSTITUTION:
            raise DomainError("{name} is not an arbitration institution",
                              field="institution_id", name=institution.name)
        return institution

    def overlaps(self, start: date | None, end: date | None) -> bool:
        """Whether [start, end] (open ends when None) shares a day with this place."""
        return (self.start is None or end is None or self.start <= end) and \
            (self.end is None or start is None or start <= self.end)

    def covers(self, first: date, last: date) -> bool:
        return (self.start is None or self.start <= first) and \
            (self.end is None or last <= self.end)
