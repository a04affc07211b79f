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
    check_court_number,
    check_founding,
    check_other_case_number,
    normalise,
)
from registry.models.causes import CauseOfAction
from registry.models.experts import IPC_CODE, Expert, ExpertRole, check_range, enum_column
from registry.models.geography import City
from registry.models.organizations import Organization
from registry.models.persons import Person


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
    # A number is its body's: a court's embeds the court's code, an arbitration institution
    # numbers its own files, so two institutions may use one number and neither learns of the
    # other's by registering it (migration 0017).
    __table_args__ = (UniqueConstraint("handling_body_id", "number",
                                       name="uq_case_handling_body_id_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(300), default="")
    handling_body_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    kind: Mapped[CaseKind] = enum_column(CaseKind, length=32)
    stage: Mapped[CaseStage] = enum_column(CaseStage, default=CaseStage.FIRST_INSTANCE)
    # The same dispute at its earlier stage: experts who served there may not serve here
    # (SPC 2019 technical-investigator provisions, Art. 5).
    earlier_stage_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"))
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    # The cause of action (案由, seeds/causes.csv); None: not recorded (cases filed before
    # issue 9), when rule `case_type` cannot be checked (docs/cases.md).
    cause_code: Mapped[str | None] = mapped_column(ForeignKey("cause_of_action.code"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    handling_body: Mapped[Organization] = relationship()
    cause: Mapped[CauseOfAction | None] = relationship()
    earlier_stage: Mapped["Case | None"] = relationship(remote_side=[id])
    # In a fixed order however they are loaded (a case item joins both in: services/
    # case_queries.CASE_ITEM): codes as set_fields sorts them, parties as they were added.
    fields: Mapped[list["CaseField"]] = relationship(cascade="all, delete-orphan",
                                                     lazy="selectin",
                                                     order_by="CaseField.ipc_code")
    parties: Mapped[list["Party"]] = relationship(back_populates="case",
                                                  cascade="all, delete-orphan",
                                                  order_by="Party.id")
    requests: Mapped[list["DispatchRequest"]] = relationship(back_populates="case")

    def set_number(self, number: str, today: date | None = None) -> None:
        """Validate the number for this kind of case at its handling body, then store it with
        full-width brackets. A court number also fixes the stage (left unset, it is taken
        from the number) and must agree with the kind (docs/cases.md)."""
        body = self.handling_body
        try:
            if self.kind in COURT_KINDS:
                hong_kong = body is not None and body.jurisdiction_code == "HK"
                parsed = check_court_number(number, hong_kong, today)
            else:
                check_other_case_number(number, body.number_shapes if body else None, today)
                parsed = None
            check_founding(number, body, parsed)
        except CaseNumberError as error:
            raise DomainError(error.template, field="number", **error.params) from error
        if parsed is not None:
            self._agree_with(parsed, number)
        elif self.stage is None:
            self.stage = CaseStage.FIRST_INSTANCE
        self.number = normalise(number)

    def _agree_with(self, parsed, number: str) -> None:
        """The kind and stage the type code names (民/行/刑; 初/终/再/申) are the case's."""
        if parsed.kind and parsed.kind != self.kind:
            raise DomainError(
                "the case number {number} is a {number_kind} case, not {kind}: correct the "
                "kind or the number", field="kind", number=number, number_kind=parsed.kind,
                kind=CaseKind(self.kind).value)
        if self.stage is None:
            self.stage = CaseStage(parsed.stage)
        elif parsed.definite_stage and parsed.definite_stage != self.stage:
            raise DomainError(
                "the case number {number} names the stage {number_stage}, not {stage}: "
                "correct the stage or the number (the stage can be left out)", field="stage",
                number=number, number_stage=parsed.definite_stage,
                stage=CaseStage(self.stage).value)

    @property
    def missing_earlier_stage(self) -> bool:
        """An appeal or retrial whose earlier stage is not linked (rule one_procedure)."""
        return self.stage in (CaseStage.SECOND_INSTANCE, CaseStage.RETRIAL) \
            and self.earlier_stage_id is None and self.earlier_stage is None

    @property
    def investigators_allowed(self) -> bool:
        """Rule case_type: technical investigators serve courts (SPC 2019 Art. 1) and IP
        administrations (CNIPA 2021) in the listed case types; an unrecorded cause is let
        through (cases filed before causes were recorded)."""
        if self.kind == CaseKind.ARBITRATION:
            return False
        return self.cause is None or self.cause.investigators

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
    """An organisation or a natural person (docs/persons.md), with its counsel: a law firm,
    an individual agent (a lawyer or a citizen), or both."""

    __table_args__ = (
        UniqueConstraint("case_id", "organization_id"),
        UniqueConstraint("case_id", "person_id", name="uq_party_case_id_person_id"),
        CheckConstraint("(organization_id IS NULL) <> (person_id IS NULL)",
                        name="organization_or_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"),
                                                        index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    role: Mapped[PartyRole] = enum_column(PartyRole)
    counsel_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    agent_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)

    case: Mapped[Case] = relationship(back_populates="parties")
    organization: Mapped[Organization | None] = relationship(foreign_keys=[organization_id])
    counsel: Mapped[Organization | None] = relationship(foreign_keys=[counsel_id])
    # Joined: every page and export that lists parties gets the persons in the same query.
    person: Mapped[Person | None] = relationship(foreign_keys=[person_id], lazy="joined")
    agent_person: Mapped[Person | None] = relationship(foreign_keys=[agent_person_id],
                                                       lazy="joined")

    @property
    def party_name(self) -> str:
        return self.person.name if self.person else self.organization.name

    def persons(self) -> list[Person]:
        """The natural persons this party brings to the case: itself and its agent."""
        return [p for p in (self.person, self.agent_person) if p is not None]


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
    PRIOR_ROLE = "prior_role"        # witness, appraiser, agent or translator in this case
    DECLINED = "declined"            # the expert declined this request


URGENT_WITHIN_HOURS = 48  # evidence preservation (证据保全) is often needed within 48 hours


class DispatchRequest(db.Model):
    __table_args__ = (
        CheckConstraint("seats >= 1", name="seats_positive"),
        CheckConstraint("priority BETWEEN 1 AND 5", name="priority_range"),
        CheckConstraint("NOT urgent OR needed_by IS NOT NULL", name="urgent_needs_time"),
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
    # Urgent evidence preservation (证据保全): dispatched ahead of the queue, needed by a time
    # at most URGENT_WITHIN_HOURS after filing (docs/calendar.md).
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    needed_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
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

    def check_attendance(self) -> None:
        """A hearing and an on-site inspection happen on days the expert attends; so does
        evidence preservation, unless it is urgent (then its needed-by time says when)."""
        attended = self.service in (Service.HEARING, Service.ON_SITE_INSPECTION) or (
            self.service is Service.EVIDENCE_PRESERVATION and not self.urgent)
        if attended and not self.days:
            raise DomainError("a {service} needs the days the expert attends", field="days",
                              service=self.service.value)

    def set_urgency(self, urgent: bool, needed_by: datetime | None, now: datetime) -> None:
        """Only evidence preservation is urgent, and it is needed within 48 hours of `now`."""
        if not urgent:
            if needed_by is not None:
                raise DomainError("only an urgent request has a needed-by time",
                                  field="needed_by")
            self.urgent, self.needed_by = False, None
            return
        if self.service != Service.EVIDENCE_PRESERVATION:  # a StrEnum: the code compares too
            raise DomainError("only an evidence-preservation request can be urgent",
                              field="urgent")
        if needed_by is None:
            raise DomainError("an urgent request needs the time it is needed by",
                              field="needed_by")
        if needed_by <= now:
            raise DomainError("the needed-by time has already passed", field="needed_by")
        if (needed_by - now).total_seconds() > URGENT_WITHIN_HOURS * 3600:
            raise DomainError("an urgent request is needed within {hours} hours; file a "
                              "regular request for later work", field="needed_by",
                              hours=URGENT_WITHIN_HOURS)
        self.urgent, self.needed_by = True, needed_by

    @property
    def has_ended(self) -> bool:
        """Completed or cancelled: nothing follows."""
        return not REQUEST_TRANSITIONS[self.status]

    def may_move_to(self, status: RequestStatus) -> bool:
        return status in REQUEST_TRANSITIONS[self.status]

    def move_to(self, status: RequestStatus) -> None:
        if status is self.status and self.has_ended:
            raise InvalidTransition("request {request_id} is already {current}",
                                    request_id=self.id, current=status.value)
        if not self.may_move_to(status):
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
