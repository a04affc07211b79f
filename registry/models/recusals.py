"""The recusal lifecycle: a party's challenge (申请回避) and the parties' notice.

A self-recusal (自行回避) needs no model of its own: it is a case-wide `Exclusion` with the
reason `recusal` (services/exclusions.py). A challenge moves

    pending -> upheld | rejected
    rejected -> review_pending -> review_upheld | review_rejected

(CPL Arts. 48-50): while it is pending the expert is suspended from the case; upheld (at once
or on review) it bars the expert from the case; one review (复议) only, asked by the applicant
against a rejection, during which the expert keeps working (CPL Art. 50). Each decision is due
within CHALLENGE_DECISION_DAYS of the application (of the review request for the review).

A notice (SPC 2019 Art. 3) is due within NOTICE_DAYS of an investigator's seat being
confirmed: one row per confirmed seat, written at the confirmation.
"""

import enum
from datetime import date, datetime, timedelta

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.models.base import DomainError, InvalidTransition, UTCDateTime, utcnow
from registry.models.cases import COURT_KINDS, Case, CaseKind, Party
from registry.models.experts import Expert, enum_column
from scheduler.rules import CHALLENGE_DECISION_DAYS, NOTICE_DAYS

MAX_GROUNDS = 1000
MAX_NAME = 100


class ChallengeStatus(enum.StrEnum):
    PENDING = "pending"                  # applied for, not decided: the expert is suspended
    UPHELD = "upheld"                    # the expert withdraws from the case
    REJECTED = "rejected"                # the expert stays
    REVIEW_PENDING = "review_pending"    # the applicant asked for the one review (复议)
    REVIEW_UPHELD = "review_upheld"      # on review the challenge is upheld: withdraws
    REVIEW_REJECTED = "review_rejected"  # on review the rejection stands: final


C = ChallengeStatus
CHALLENGE_TRANSITIONS: dict[ChallengeStatus, frozenset[ChallengeStatus]] = {
    C.PENDING: frozenset({C.UPHELD, C.REJECTED}),
    # Only the applicant may ask for a review, and only of a decision against it (CPL Art.
    # 50): an upheld challenge granted what it asked.
    C.REJECTED: frozenset({C.REVIEW_PENDING}),
    C.REVIEW_PENDING: frozenset({C.REVIEW_UPHELD, C.REVIEW_REJECTED}),
    C.UPHELD: frozenset(),
    C.REVIEW_UPHELD: frozenset(),
    C.REVIEW_REJECTED: frozenset(),
}
SUSPENDING = frozenset({C.PENDING})  # CPL Art. 48: stops working until the decision
BARRING = frozenset({C.UPHELD, C.REVIEW_UPHELD})
AWAITING_DECISION = frozenset({C.PENDING, C.REVIEW_PENDING})


class DeciderRole(enum.StrEnum):
    PRESIDING_JUDGE = "presiding_judge"              # 审判长或者独任审判员 (CPL Art. 49)
    INSTITUTION_CHAIR = "institution_chair"          # 仲裁委员会主任 (Arbitration Law Art. 36)
    INSTITUTION_COMMITTEE = "institution_committee"  # 仲裁委员会集体决定 (idem, chair sitting)
    AGENCY_HEAD = "agency_head"                      # 行政裁决机关负责人


def deciders_for(case: Case) -> tuple[DeciderRole, ...]:
    """Who decides a challenge of an expert on this case: in court, the withdrawal of "other
    personnel" (a technical investigator) is the presiding judge's (CPL Art. 49)."""
    if case.kind in COURT_KINDS:
        return (DeciderRole.PRESIDING_JUDGE,)
    if case.kind is CaseKind.ARBITRATION:
        return (DeciderRole.INSTITUTION_CHAIR, DeciderRole.INSTITUTION_COMMITTEE)
    return (DeciderRole.AGENCY_HEAD,)


def check_text(value: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError("this is needed", field=field)
    if len(value) > limit:
        raise DomainError("the text is longer than {max} characters", field=field, max=limit)
    return value


class Challenge(db.Model):
    """A party's application that an expert withdraw from a case, and what became of it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"))  # the applicant
    grounds: Mapped[str] = mapped_column(Text, default="")
    applied_on: Mapped[date] = mapped_column(Date)
    status: Mapped[ChallengeStatus] = enum_column(ChallengeStatus, default=C.PENDING,
                                                  index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The decision: when, by whom (the person who decided, not the clerk recording it), why.
    decided_on: Mapped[date | None] = mapped_column(Date)
    decider_name: Mapped[str] = mapped_column(String(MAX_NAME), default="")
    decider_role: Mapped[DeciderRole | None] = enum_column(DeciderRole, length=32,
                                                           nullable=True)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decision_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # The one review (复议).
    review_requested_on: Mapped[date | None] = mapped_column(Date)
    review_grounds: Mapped[str] = mapped_column(Text, default="")
    review_decided_on: Mapped[date | None] = mapped_column(Date)
    review_decider_name: Mapped[str] = mapped_column(String(MAX_NAME), default="")
    review_decider_role: Mapped[DeciderRole | None] = enum_column(DeciderRole, length=32,
                                                                  nullable=True)
    review_reason: Mapped[str] = mapped_column(Text, default="")
    review_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Of two decisions sent together, one wins; the other's UPDATE finds a newer version.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    case: Mapped[Case] = relationship()
    expert: Mapped[Expert] = relationship()
    party: Mapped[Party] = relationship()

    def __init__(self, **values):
        values.setdefault("status", C.PENDING)
        super().__init__(**values)

    # -- deadlines (CPL Arts. 49-50: within 3 days) ---------------------------------------
    @property
    def decision_due(self) -> date:
        return self.applied_on + timedelta(days=CHALLENGE_DECISION_DAYS)

    @property
    def review_due(self) -> date | None:
        if self.review_requested_on is None:
            return None
        return self.review_requested_on + timedelta(days=CHALLENGE_DECISION_DAYS)

    @property
    def due_on(self) -> date | None:
        """The day the pending decision is due (None once nothing awaits a decision)."""
        if self.status is C.PENDING:
            return self.decision_due
        if self.status is C.REVIEW_PENDING:
            return self.review_due
        return None

    def is_overdue(self, today: date) -> bool:
        return self.due_on is not None and today > self.due_on

    @property
    def suspends(self) -> bool:
        return self.status in SUSPENDING

    @property
    def bars(self) -> bool:
        return self.status in BARRING

    # -- moves -----------------------------------------------------------------------------
    def can_move_to(self, status: ChallengeStatus) -> bool:
        return status in CHALLENGE_TRANSITIONS[self.status]

    def check_move_to(self, status: ChallengeStatus) -> None:
        if not self.can_move_to(status):
            raise InvalidTransition(
                "challenge {challenge_id} cannot go from {current} to {target}",
                challenge_id=self.id, current=self.status.value, target=status.value)

    def check_version(self, seen: int | None) -> None:
        if seen is not None and seen != self.version:
            raise InvalidTransition("challenge {challenge_id} changed since you saw it (it is "
                                    "{current} now); reload it", field="version",
                                    challenge_id=self.id, current=self.status.value)

    def _check_decider(self, role: DeciderRole, field: str) -> None:
        allowed = deciders_for(self.case)
        if role not in allowed:
            raise DomainError("on this case the decision is for {allowed}", field=field,
                              allowed=", ".join(r.value for r in allowed))

    def _check_day(self, day: date, after: date, today: date, field: str) -> None:
        if day < after:
            raise DomainError("the day is before {day}", field=field, day=after.isoformat())
        if day > today:
            raise DomainError("the day is in the future", field=field)

    def decide(self, upheld: bool, *, on: date, by_name: str, by_role: DeciderRole,
               reason: str, recorded_by, today: date) -> None:
        """The first decision (upheld or rejected), recorded as made by `by_name`."""
        target = C.UPHELD if upheld else C.REJECTED
        self.check_move_to(target)
        self._check_day(on, self.applied_on, today, "decided_on")
        self._check_decider(by_role, "decider_role")
        self.decider_name = check_text(by_name, "decider_name", MAX_NAME)
        self.decision_reason = check_text(reason, "reason", MAX_GROUNDS)
        self.decided_on, self.decider_role = on, by_role
        self.decision_recorded_by_id = getattr(recorded_by, "id", None)
        self.status = target

    def request_review(self, *, on: date, grounds: str, recorded_by, today: date) -> None:
        """The applicant's one review (复议); a second one finds no move left (409)."""
        self.check_move_to(C.REVIEW_PENDING)
        self._check_day(on, self.decided_on or self.applied_on, today, "requested_on")
        self.review_grounds = check_text(grounds, "grounds", MAX_GROUNDS)
        self.review_requested_on = on
        self.review_recorded_by_id = getattr(recorded_by, "id", None)
        self.status = C.REVIEW_PENDING

    def decide_review(self, upheld: bool, *, on: date, by_name: str, by_role: DeciderRole,
                      reason: str, recorded_by, today: date) -> None:
        target = C.REVIEW_UPHELD if upheld else C.REVIEW_REJECTED
        self.check_move_to(target)
        self._check_day(on, self.review_requested_on, today, "decided_on")
        self._check_decider(by_role, "decider_role")
        self.review_decider_name = check_text(by_name, "decider_name", MAX_NAME)
        self.review_reason = check_text(reason, "reason", MAX_GROUNDS)
        self.review_decided_on, self.review_decider_role = on, by_role
        self.review_recorded_by_id = getattr(recorded_by, "id", None)
        self.status = target


class PartiesNotice(db.Model):
    """The parties' notice of who the technical investigator is and of their right to apply
    for withdrawal (SPC 2019 Art. 3): due within NOTICE_DAYS of the seat's confirmation."""

    __tablename__ = "parties_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"), unique=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"))
    confirmed_on: Mapped[date] = mapped_column(Date)  # China Standard Time
    due_on: Mapped[date] = mapped_column(Date)
    served_on: Mapped[date | None] = mapped_column(Date)
    served_how: Mapped[str] = mapped_column(String(MAX_NAME), default="")
    served_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    served_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    case: Mapped[Case] = relationship()
    expert: Mapped[Expert] = relationship()
    assignment = relationship("Assignment")

    @classmethod
    def due_for(cls, assignment, confirmed_on: date) -> "PartiesNotice":
        return cls(case_id=assignment.request.case_id, assignment=assignment,
                   expert_id=assignment.expert_id, confirmed_on=confirmed_on,
                   due_on=confirmed_on + timedelta(days=NOTICE_DAYS))

    @property
    def seat_ended(self) -> bool:
        """The investigator left the seat before the notice went out: nothing to tell of it
        (its successor's confirmation owes a notice of its own)."""
        from registry.models.assignments import SERVED_STATUSES

        return not self.is_served and self.assignment.status not in SERVED_STATUSES

    @property
    def is_served(self) -> bool:
        return self.served_on is not None

    def is_overdue(self, today: date) -> bool:
        return not self.is_served and not self.seat_ended and today > self.due_on

    def serve(self, *, on: date, how: str, by, today: date) -> None:
        if self.is_served:
            raise InvalidTransition("notice {notice_id} was already served on {day}",
                                    notice_id=self.id, day=self.served_on.isoformat())
        if on < self.confirmed_on:
            raise DomainError("the day is before {day}", field="served_on",
                              day=self.confirmed_on.isoformat())
        if on > today:
            raise DomainError("the day is in the future", field="served_on")
        self.served_how = check_text(how, "served_how", MAX_NAME)
        self.served_on, self.served_by_id, self.served_at = on, by.id, utcnow()
