"""The parties' answers to an arbitrator's disclosure: a no-objection or an express waiver.

An orange-list situation (severity `disclose` in scheduler/rules.py) is allowed once the
parties, told of it, raise no objection; a waivable red-list situation (severity `waivable`)
only with their express written waiver. Each answer is recorded for one rule, one expert and
one case (or one request of it): who gave it, when, how (the document), and who recorded it.
Non-waivable situations (severity `bar`) take no waiver at all.
"""

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from registry.extensions import db
from registry.models.base import DomainError, UTCDateTime, utcnow
from registry.models.experts import enum_column
from scheduler import rules

MAX_PARTY = 200
MAX_DOCUMENT = 300


class WaiverKind(enum.StrEnum):
    NO_OBJECTION = "no_objection"      # told of an orange-list situation, no party objected
    WRITTEN_WAIVER = "written_waiver"  # the parties' express written waiver


# Which answers clear a rule of each severity.
CLEARS: dict[str, frozenset[WaiverKind]] = {
    rules.DISCLOSE: frozenset(WaiverKind),
    rules.WAIVABLE: frozenset({WaiverKind.WRITTEN_WAIVER}),
}


def answerable(rule_key: str) -> bool:
    """Whether the parties can answer a situation under this rule (never a bar's)."""
    rule = rules.RULES.get(rule_key)
    return rule is not None and rule.severity in CLEARS


class Waiver(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    # None: the answer covers every request of the case.
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("dispatch_request.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"),
                                           index=True)
    rule: Mapped[str] = mapped_column(String(60))  # a key of scheduler/rules.py
    kind: Mapped[WaiverKind] = enum_column(WaiverKind, length=24)
    party: Mapped[str] = mapped_column(String(MAX_PARTY))  # who answered, as recorded
    given_on: Mapped[date] = mapped_column(Date)  # when the parties answered
    document: Mapped[str] = mapped_column(String(MAX_DOCUMENT), default="")  # how
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    recorded_by = relationship("User")

    @validates("rule")
    def _known_rule(self, _key, rule_key):
        if not answerable(rule_key):
            raise DomainError("rule {rule} takes no waiver", field="rule", rule=rule_key)
        return rule_key

    def check(self) -> None:
        """The answer fits its rule: a waivable situation needs an express written waiver,
        and a written waiver names its document."""
        party = (self.party or "").strip()
        if not party:
            raise DomainError("say who answered for the parties", field="party")
        if self.kind not in CLEARS[rules.rule(self.rule).severity]:
            raise DomainError("rule {rule} needs the parties' express written waiver",
                              field="kind", rule=self.rule)
        if self.kind is WaiverKind.WRITTEN_WAIVER and not (self.document or "").strip():
            raise DomainError("a written waiver names its document", field="document")

    def covers(self, case_id: int, request_id: int, expert_id: int, rule_key: str) -> bool:
        return (self.case_id == case_id and self.request_id in (None, request_id)
                and self.expert_id == expert_id and self.rule == rule_key
                and self.kind in CLEARS[rules.rule(rule_key).severity])
