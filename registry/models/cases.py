"""Cases, their parties, and the requests for experts that clerks file for them."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from registry.extensions import db
from registry.models.base import DomainError, InvalidTransition, UTCDateTime, utcnow
from registry.models.case_numbers import (
    CaseNumberError,
    check_other_case_number,
    normalise,
    parse_court_case_number,
)
from registry.models.experts import IPC_CODE, Expert, ExpertRole, check_range, enum_column
from registry.models.geography import City
from registry.models.organizations import Organization


class CaseKind(enum.StrEnum):
    CIVIL = "civil"
    ADMINISTRATIVE = "administrative"
    CRIMINAL = "criminal"
    ADMINISTRATIVE_ADJUDICATION = "administrative_adjudication"
    ARBITRATION = "arbitration"


COURT_KINDS = frozenset({CaseKind.CIVIL, CaseKind.ADMINISTRATIVE, CaseKind.CRIMINAL})


class CaseStage(enum.StrEnum):
    FIRST_INSTANCE = "first_instance"
    SECOND_INSTANCE = "second_instance"
    RETRIAL = "retrial"


class PartyRole(enum.StrEnum):
    PLAINTIFF = "plaintiff"
    DEFENDANT = "defendant"
    THIRD_PARTY = "third_party"
    APPELLANT = "appellant"
    APPELLEE = "appellee"
    CLAIMANT = "claimant"
    RESPONDENT = "respondent"
    PETITIONER = "petitioner"


class Case(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    handling_body_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    kind: Mapped[CaseKind] = enum_column(CaseKind, length=32)
    stage: Mapped[CaseStage] = enum_column(CaseStage, default=CaseStage.FIRST_INSTANCE)
    # The same dispute at its earlier stage: experts who served there may not serve here
    # (SPC 2019 technical-investigator provisions, Art. 5).
    earlier_stage_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"))
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    handling_body: Mapped[Organization] = relationship()
    earlier_stage: Mapped["Case | None"] = relationship(remote_side=[id])
    fields: Mapped[list["CaseField"]] = relationship(cascade="all, delete-orphan",
                                                     lazy="selectin")
    parties: Mapped[list["Party"]] = relationship(back_populates="case",
                                                  cascade="all, delete-orphan")
    requests: Mapped[list["DispatchRequest"]] = relationship(back_populates="case")

    def set_number(self, number: str, today: date | None = None) -> None:
        """Validate the number for this kind of case, then store it with full-width brackets."""
        try:
            if self.kind in COURT_KINDS:
                parse_court_case_number(number, today)
            else:
                check_other_case_number(number)
        except CaseNumberError as error:
            raise DomainError(error.template, field="number", **error.params) from error
        self.number = normalise(number)

    def set_fields(self, codes) -> None:
        if not codes:
            raise DomainError("a case needs at least one technical field", field="fields")
        self.fields = [CaseField(ipc_code=code) for code in sorted(set(codes))]

    @property
    def field_codes(self) -> list[str]:
        return [field.ipc_code for field in self.fields]

    def earlier_stages(self) -> list["Case"]:
        """Every earlier stage of this dispute, nearest first (cycles are cut)."""
        stages, seen, stage = [], {self.id}, self.earlier_stage
        while stage is not None and stage.id not in seen:
            stages.append(stage)
            seen.add(stage.id)
            stage = stage.earlier_stage
        return stages

    @validates("earlier_stage_id")
    def _not_itself(self, _key, earlier_id):
        if earlier_id is not None and earlier_id == self.id:
            raise DomainError("a case cannot be its own earlier stage", field="earlier_stage_id")
        return earlier_id


class CaseField(db.Model):
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"),
                                         primary_key=True)
    ipc_code: Mapped[str] = mapped_column(String(16), primary_key=True, index=True)

    @validates("ipc_code")
    def _check_code(self, _key, code):
        if not IPC_CODE.match(code or ""):
            raise DomainError("{code!r} is not an IPC code such as G06F or H04L", field="fields",
                              code=code)
        return code


class Party(db.Model):
    __table_args__ = (UniqueConstraint("case_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    role: Mapped[PartyRole] = enum_column(PartyRole)
    counsel_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))

    case: Mapped[Case] = relationship(back_populates="parties")
    organization: Mapped[Organization] = relationship(foreign_keys=[organization_id])
    counsel: Mapped[Organization | None] = relationship(foreign_keys=[counsel_id])


class Service(enum.StrEnum):
    CONSULTATION = "consultation"
    WRITTEN_OPINION = "written_opinion"
    HEARING = "hearing"
    ON_SITE_INSPECTION = "on_site_inspection"
    EVIDENCE_PRESERVATION = "evidence_preservation"
    ARBITRATION = "arbitration"


class RequestStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


S = RequestStatus
# A request's status follows its assignments (sync_request_status). It moves forward as seats
# are proposed, confirmed and accepted, and falls back when a seat is freed: a new solver run,
# a decline, or an upheld challenge (申请回避) even after acceptance. What never happens: work
# accepted without confirmation, completion before acceptance, and anything after the end.
OPEN = frozenset({S.SUBMITTED, S.PROPOSED, S.DECLINED})
REQUEST_TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    S.SUBMITTED: frozenset({S.PROPOSED, S.CONFIRMED, S.CANCELLED}),
    S.PROPOSED: frozenset({S.PROPOSED, S.SUBMITTED, S.CONFIRMED, S.DECLINED, S.CANCELLED}),
    S.DECLINED: frozenset({S.PROPOSED, S.SUBMITTED, S.CONFIRMED, S.CANCELLED}),
    S.CONFIRMED: OPEN | {S.ACCEPTED, S.CANCELLED},
    S.ACCEPTED: OPEN | {S.CONFIRMED, S.COMPLETED, S.CANCELLED},
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}
OPEN_REQUEST_STATUSES = OPEN


class ExclusionReason(enum.StrEnum):
    CHALLENGE = "challenge"          # a party's application for withdrawal (申请回避) upheld
    RECUSAL = "recusal"              # the expert withdrew (自行回避)
    EARLIER_STAGE = "earlier_stage"  # served at another stage of the same dispute
    DECLINED = "declined"            # the expert declined this request


class DispatchRequest(db.Model):
    __table_args__ = (
        CheckConstraint("seats >= 1", name="seats_positive"),
        CheckConstraint("priority BETWEEN 1 AND 5", name="priority_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    role: Mapped[ExpertRole] = enum_column(ExpertRole)
    seats: Mapped[int] = mapped_column(Integer, default=1)
    service: Mapped[Service] = enum_column(Service, length=32)
    city_code: Mapped[str] = mapped_column(ForeignKey("city.code"))
    remote_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[int] = mapped_column(Integer, default=3)
    language: Mapped[str | None] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RequestStatus] = enum_column(RequestStatus, default=RequestStatus.SUBMITTED,
                                                index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Every UPDATE names the version it read: a move made from a stale read changes nothing
    # and fails (StaleDataError, a 409) instead of overwriting the move that won.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    case: Mapped[Case] = relationship(back_populates="requests")
    city: Mapped[City] = relationship()
    days: Mapped[list["AttendanceDays"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="AttendanceDays.start")
    exclusions: Mapped[list["Exclusion"]] = relationship(
        back_populates="request", cascade="all, delete-orphan")
    assignments: Mapped[list["Assignment"]] = relationship(back_populates="request")  # noqa: F821

    def __init__(self, **values):
        # Column defaults apply only on INSERT; the lifecycle needs a status from the start.
        values.setdefault("status", RequestStatus.SUBMITTED)
        super().__init__(**values)

    def check_seats(self) -> None:
        """One investigator per request; a tribunal has one or three arbitrators."""
        allowed = {ExpertRole.ARBITRATOR: (1, 3)}.get(self.role, (1,))
        if self.seats not in allowed:
            raise DomainError(
                "a {role} request takes {allowed_seats} seat(s), not {seats}", field="seats",
                role=self.role.value, allowed_seats="/".join(map(str, allowed)),
                seats=self.seats)

    def move_to(self, status: RequestStatus) -> None:
        if status not in REQUEST_TRANSITIONS[self.status]:
            raise InvalidTransition(
                "request {request_id} cannot go from {current} to {target}",
                request_id=self.id, current=self.status.value, target=status.value)
        self.status = status

    def cancel(self) -> None:
        self.move_to(RequestStatus.CANCELLED)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REQUEST_STATUSES

    def excluded_expert_ids(self) -> set[int]:
        return {exclusion.expert_id for exclusion in self.exclusions}


class AttendanceDays(db.Model):
    """A span of days on which the expert must be present (none for written work)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_request.id", ondelete="CASCADE"), index=True)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)

    @validates("end")
    def _check_dates(self, _key, end):
        check_range(self.start, end, "attendance")
        return end


class Exclusion(db.Model):
    """An expert who may not serve on a request: challenged, recused, or served earlier."""

    __table_args__ = (UniqueConstraint("request_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_request.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    reason: Mapped[ExclusionReason] = enum_column(ExclusionReason)
    note: Mapped[str] = mapped_column(String(300), default="")

    request: Mapped[DispatchRequest] = relationship(back_populates="exclusions")
    expert: Mapped[Expert] = relationship()
