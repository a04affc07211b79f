"""Assignments of experts to requests, and the solver runs that propose them."""

import enum
from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.models.base import DomainError, InvalidTransition, JSONType, UTCDateTime, utcnow
from registry.models.cases import DispatchRequest, RequestStatus
from registry.models.experts import Expert, enum_column


class AssignmentStatus(enum.StrEnum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"   # a later solver run replaced this proposal
    CANCELLED = "cancelled"


A = AssignmentStatus
ASSIGNMENT_TRANSITIONS: dict[AssignmentStatus, frozenset[AssignmentStatus]] = {
    A.PROPOSED: frozenset({A.CONFIRMED, A.WITHDRAWN, A.CANCELLED}),
    A.CONFIRMED: frozenset({A.ACCEPTED, A.DECLINED, A.CANCELLED}),
    A.ACCEPTED: frozenset({A.COMPLETED, A.DECLINED, A.CANCELLED}),
    A.DECLINED: frozenset(),
    A.COMPLETED: frozenset(),
    A.WITHDRAWN: frozenset({A.PROPOSED}),  # a later solver run proposes the pair again
    A.CANCELLED: frozenset(),
}
# Assignments that hold a seat and count towards the expert's workload.
ACTIVE_ASSIGNMENT_STATUSES = frozenset({A.PROPOSED, A.CONFIRMED, A.ACCEPTED})
# Assignments that mean the expert served on the case (for the one-procedure rule).
SERVED_STATUSES = frozenset({A.CONFIRMED, A.ACCEPTED, A.COMPLETED})
# Assignments that give their expert standing on the request: the filing body sees the expert
# and the expert sees the request. A withdrawn, cancelled or declined one gives none.
STANDING_STATUSES = ACTIVE_ASSIGNMENT_STATUSES | SERVED_STATUSES
MAX_DECLINE_REASON = 500


class SolverRunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


S = SolverRunStatus
SOLVER_RUN_TRANSITIONS: dict[SolverRunStatus, frozenset[SolverRunStatus]] = {
    S.QUEUED: frozenset({S.RUNNING, S.CANCELLED}),
    S.RUNNING: frozenset({S.DONE, S.FAILED, S.CANCELLED}),
    S.DONE: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
}


def running_progress(share: float) -> float:
    """A running solve's progress: its share of the time limit, below 1 (1 means the plan is
    stored)."""
    return min(max(float(share), 0.0), 0.99)


class SolverRun(db.Model):
    """One solve of a region's open requests: its parameters, the problem exported for it,
    the plan that answered it, and where it stands (queued -> running -> done | failed |
    cancelled; a queued run may be cancelled too)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    region: Mapped[str] = mapped_column(String(16))
    window_from: Mapped[date] = mapped_column(Date)
    window_to: Mapped[date] = mapped_column(Date)
    # What was asked: as_of, time_limit_s, weights.
    parameters: Mapped[dict] = mapped_column(JSONType, default=dict)
    # The dispatch-problem/1 document exported for the run, and the dispatch-plan/1 document
    # imported for it (kept, so every stored plan can be audited against its problem).
    problem: Mapped[dict | None] = mapped_column(JSONType)
    plan: Mapped[dict | None] = mapped_column(JSONType)
    # Confirmed seats left out of the problem because their expert now breaks a rule.
    held_seats_breaking_rules: Mapped[list] = mapped_column(JSONType, default=list)
    status: Mapped[SolverRunStatus] = enum_column(SolverRunStatus, default=SolverRunStatus.QUEUED,
                                                  index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    # The durable job that solves the run (registry/jobs.py), the worker slot that holds it,
    # how many times a worker took it, and when that worker last said it was alive.
    job_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    worker: Mapped[str] = mapped_column(String(120), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The solver's latest report while it runs: phase, elapsed_s, seats_filled,
    # filled_priority, objective, bound, gap (written at most twice a second).
    figures: Mapped[dict] = mapped_column(JSONType, default=dict)
    metrics: Mapped[dict] = mapped_column(JSONType, default=dict)
    timings: Mapped[dict] = mapped_column(JSONType, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __init__(self, **values):
        # Column defaults apply only on INSERT; the lifecycle needs them from the start.
        values.setdefault("status", SolverRunStatus.QUEUED)
        values.setdefault("progress", 0.0)
        values.setdefault("parameters", {})
        values.setdefault("held_seats_breaking_rules", [])
        values.setdefault("figures", {})
        values.setdefault("worker", "")
        values.setdefault("attempts", 0)
        super().__init__(**values)

    @property
    def is_finished(self) -> bool:
        return not SOLVER_RUN_TRANSITIONS[self.status]

    @classmethod
    def compare_and_set(cls, run_id: int, expected: set[SolverRunStatus],
                        target: SolverRunStatus, *conditions, **values) -> bool:
        """Move run `run_id` from one of `expected` to `target` in one UPDATE, only if it is
        still there (and `conditions` hold); True when this call made the move.

        Of two racing moves exactly one wins: the database decides, not a read made earlier.
        Each expected -> target move must be legal (a run may stay running: a heartbeat).
        """
        for status in expected:
            if target is not status and target not in SOLVER_RUN_TRANSITIONS[status]:
                raise InvalidTransition("solver run {run_id} cannot go from {current} to "
                                        "{target}", run_id=run_id, current=status.value,
                                        target=target.value)
        if target in (S.DONE, S.FAILED, S.CANCELLED):
            values.setdefault("finished_at", utcnow())
        if target is S.CANCELLED:
            values.setdefault("plan", None)
        result = db.session.execute(
            update(cls).where(cls.id == run_id, cls.status.in_(expected), *conditions)
            .values(status=target, **values)
            .execution_options(synchronize_session=False))
        return result.rowcount == 1

    def check_move_to(self, status: SolverRunStatus) -> None:
        if status not in SOLVER_RUN_TRANSITIONS[self.status]:
            raise InvalidTransition("solver run {run_id} cannot go from {current} to {target}",
                                    run_id=self.id, current=self.status.value,
                                    target=status.value)

    def _move_to(self, status: SolverRunStatus) -> None:
        self.check_move_to(status)
        self.status = status
        if self.is_finished:
            self.finished_at = utcnow()

    def start(self) -> None:
        """A solver took the queued run."""
        self._move_to(S.RUNNING)
        self.progress = 0.0

    def finish(self, metrics: dict, timings: dict | None = None) -> None:
        """The plan is stored: record its figures and the solver's account of the solve."""
        self._move_to(S.DONE)
        self.progress = 1.0
        self.metrics = dict(metrics or {})
        self.timings = dict(timings or {})

    def fail(self, error: str) -> None:
        """The solve or the plan's import failed: say why; the run keeps no plan."""
        self._move_to(S.FAILED)
        self.error = str(error)
        self.plan = None

    def cancel(self) -> None:
        """Nobody wants the run any more; a cancelled run keeps no plan."""
        self._move_to(S.CANCELLED)
        self.plan = None


class Assignment(db.Model):
    __table_args__ = (UniqueConstraint("request_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("dispatch_request.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    status: Mapped[AssignmentStatus] = enum_column(AssignmentStatus,
                                                   default=AssignmentStatus.PROPOSED, index=True)
    solver_run_id: Mapped[int | None] = mapped_column(ForeignKey("solver_run.id"))
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reasons: Mapped[list] = mapped_column(JSONType, default=list)
    decline_reason: Mapped[str] = mapped_column(String(MAX_DECLINE_REASON), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Lifecycle moves are compare-and-set on this (see DispatchRequest.version).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    request: Mapped[DispatchRequest] = relationship(back_populates="assignments")
    expert: Mapped[Expert] = relationship()
    solver_run: Mapped[SolverRun | None] = relationship()

    def __init__(self, **values):
        # Column defaults apply only on INSERT; the lifecycle needs a status from the start.
        values.setdefault("status", AssignmentStatus.PROPOSED)
        super().__init__(**values)

    @property
    def source(self) -> str:
        return "solver" if self.solver_run_id else "coordinator"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_ASSIGNMENT_STATUSES

    def can_move_to(self, status: AssignmentStatus) -> bool:
        return status in ASSIGNMENT_TRANSITIONS[self.status]

    def check_move_to(self, status: AssignmentStatus) -> None:
        if not self.can_move_to(status):
            raise InvalidTransition(
                "assignment {assignment_id} cannot go from {current} to {target}",
                assignment_id=self.id, current=self.status.value, target=status.value)

    def move_to(self, status: AssignmentStatus) -> None:
        self.check_move_to(status)
        self.status = status

    def check_version(self, seen: int | None) -> None:
        """A caller that says which version it saw moves the row only from that version: of
        an accept and a decline sent together from one screen, exactly one wins."""
        if seen is not None and seen != self.version:
            raise InvalidTransition("assignment {assignment_id} changed since you saw it (it "
                                    "is {current} now); reload it", field="version",
                                    assignment_id=self.id, current=self.status.value)

    def confirm(self) -> None:
        self.move_to(A.CONFIRMED)
        sync_request_status(self.request)

    def accept(self) -> None:
        self.move_to(A.ACCEPTED)
        sync_request_status(self.request)

    def decline(self, reason: str) -> None:
        """Decline with a reason: any non-blank text (出差 is a whole reason in two characters)."""
        reason = (reason or "").strip()
        if not reason:
            raise DomainError("a reason is needed", field="reason")
        if len(reason) > MAX_DECLINE_REASON:
            raise DomainError("the reason is longer than {max} characters", field="reason",
                              max=MAX_DECLINE_REASON)
        self.move_to(A.DECLINED)
        self.decline_reason = reason
        sync_request_status(self.request)


def sync_request_status(request: DispatchRequest) -> None:
    """Move the request to the status its assignments now imply."""
    if request.status in (RequestStatus.CANCELLED, RequestStatus.COMPLETED):
        return
    statuses = [a.status for a in request.assignments]
    active = [s for s in statuses if s in ACTIVE_ASSIGNMENT_STATUSES]
    full = len(active) >= request.seats
    if A.DECLINED in statuses and not full:
        target = RequestStatus.DECLINED
    elif full and all(s is A.ACCEPTED for s in active):
        target = RequestStatus.ACCEPTED
    elif full and all(s in (A.CONFIRMED, A.ACCEPTED) for s in active):
        target = RequestStatus.CONFIRMED
    elif active:
        target = RequestStatus.PROPOSED
    else:
        target = RequestStatus.SUBMITTED
    if target is not request.status:
        request.move_to(target)
