"""Flags on held seats: a later change made an assignment break a hard rule (issue 9, item 2).

A flag names the rule by its key in `scheduler/rules.py`, keeps the scheduler's own words for
the breach (`detail`) and the facts the pages put in words (`facts`), and stays open until a
re-check finds the breach gone or the seat ends (`cleared_at`). Nothing is cancelled by a flag:
the coordinator decides. Written only by `registry/services/flags.py`.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.models.assignments import Assignment
from registry.models.base import JSONType, UTCDateTime, utcnow


class AssignmentFlag(db.Model):
    __table_args__ = (Index("ix_assignment_flag_open", "assignment_id", "cleared_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"), index=True)
    rule: Mapped[str] = mapped_column(String(40))  # a key of scheduler.rules.RULES
    detail: Mapped[str] = mapped_column(Text, default="")  # verify's message (English)
    facts: Mapped[dict] = mapped_column(JSONType, default=dict)  # what the pages word
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_because: Mapped[str] = mapped_column(String(40), default="")

    assignment: Mapped[Assignment] = relationship()

    def __init__(self, **values):
        values.setdefault("facts", {})
        values.setdefault("detail", "")
        values.setdefault("raised_at", utcnow())
        values.setdefault("cleared_because", "")
        super().__init__(**values)

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None

    def clear(self, because: str) -> None:
        """The breach is gone (`resolved`) or the seat ended (`seat_ended`)."""
        if self.cleared_at is None:
            self.cleared_at = utcnow()
            self.cleared_because = because


# Every assignment knows its open flags, loaded with it (one IN query per batch of
# assignments), so pages and the API show them without a query while rendering.
Assignment.open_flags = relationship(
    AssignmentFlag, viewonly=True, lazy="selectin", order_by=AssignmentFlag.id,
    primaryjoin=and_(AssignmentFlag.assignment_id == Assignment.id,
                     AssignmentFlag.cleared_at.is_(None)))
