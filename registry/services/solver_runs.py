"""Solver runs as a service: start one (export and queue its job), follow it, cancel it, and
the worker's side of solving it (docs/jobs.md).

Every status move that can race (a cancel against the worker's finish, two workers against
one job) is a compare-and-set on the run's row, so exactly one side wins; the loser gets a
409 (web) or stops quietly (worker). Progress, heartbeats and the cancel check go through
their own short transactions, never through the session that will write the plan.
"""

import logging
import threading
import time
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import Select, select, update
from sqlalchemy.orm import defer

from registry import jobs
from registry.extensions import db, write_transaction
from registry.models import DomainError, SolverRun, SolverRunStatus, User
from registry.models.assignments import running_progress
from registry.models.base import utcnow
from registry.services import access, audit, dispatch
from registry.services import permissions as may

S = SolverRunStatus
FIGURE_KEYS = ("phase", "elapsed_s", "seats_filled", "filled_priority", "objective", "bound",
               "gap")
PROGRESS_EVERY_S = 0.5  # at most two progress writes a second
STOP_CHECK_EVERY_S = 0.25
HEARTBEAT_EVERY_S = 5
# A run as a poll reads it: the problem document is read by a re-plan only.
POLLED_RUN = (defer(SolverRun.problem),)

log = logging.getLogger(__name__)


# -- the web side ------------------------------------------------------------------------------

def start_run(actor: User, region: str, start: date, end: date, *,
              time_limit_s: float | None = None, weights: dict | None = None,
              mode: str = "solve") -> SolverRun:
    """Export the region's problem and queue a run to solve (or re-plan) it; the caller
    commits."""
    may.allow(may.can_act_in_region(actor, region), "only coordinators of the region")
    _, run = dispatch.export_problem(region, start, end, actor=actor,
                                     time_limit_s=time_limit_s, weights=weights, mode=mode)
    jobs.enqueue_solve(run)
    return run


def run_again(actor: User, previous: SolverRun, mode: str = "solve") -> SolverRun:
    """A new run of the previous run's region, window and weights on today's registry:
    confirmed seats stay pinned and the current proposal is preferred (the export does both).
    A "solve" keeps the previous run's time limit; a "replan" changes only what changed
    since, in its own short limit."""
    time_limit_s = previous.parameters.get("time_limit_s") if mode == "solve" else None
    return start_run(actor, previous.region, previous.window_from, previous.window_to,
                     time_limit_s=time_limit_s, weights=previous.parameters.get("weights"),
                     mode=mode)


def cancel_run(run: SolverRun, actor: User) -> SolverRun:
    """Cancel a queued or running run. A running solve stops at the solver's next callback
    and keeps no plan. The caller commits."""
    may.allow(may.can_act_in_region(actor, run.region), "only coordinators of the region")
    run.check_move_to(S.CANCELLED)
    if not SolverRun.compare_and_set(run.id, {S.QUEUED, S.RUNNING}, S.CANCELLED):
        db.session.refresh(run)
        run.check_move_to(S.CANCELLED)  # raises: the worker finished it meanwhile
    db.session.refresh(run)
    audit.record(actor, "solver_run.cancel", "solver_run", run.id,
                 after={"status": run.status.value})
    return run


def runs_query(user: User, *, region: str | None = None, status: SolverRunStatus | None = None,
               created_by_id: int | None = None) -> Select:
    """The runs a user may see (a coordinator: its region's), newest first, filtered."""
    query = may.scope_solver_runs(select(SolverRun).order_by(SolverRun.id.desc()), user)
    if region:
        query = query.where(SolverRun.region == region)
    if status is not None:
        query = query.where(SolverRun.status == status)
    if created_by_id is not None:
        query = query.where(SolverRun.created_by_id == created_by_id)
    return query


def run_for(user: User, run_id: int) -> SolverRun:
    """One run the user may see; another region's run is as good as missing (404). Checked
    on the row itself, in memory: a poll costs one query for the run (and one for the token)."""
    may.require_solver_runs(user)  # before the look-up: a clerk learns nothing of which exist
    run = access.get_row(SolverRun, run_id, "solver run", load=POLLED_RUN)
    return access.visible(run, may.can_see_solver_run(user, run), "solver run", run_id)


# -- the worker side ---------------------------------------------------------------------------

def execute(run_id: int, job_id: str, worker: str) -> str:
    """Solve a queued run and store its plan in one transaction; return what happened.

    Safe to run twice (DBOS re-runs the job of a worker that died): the same worker slot
    takes its own running run back, a finished or cancelled run is left alone, and the
    previous proposal stays untouched until the new plan is written whole.
    """
    if not _claim(run_id, job_id, worker):
        return f"solver run {run_id} was not waiting for a worker"
    started = time.monotonic()
    engine = db.engine
    run = db.session.get(SolverRun, run_id, populate_existing=True)
    with _Heartbeat(engine, run_id):
        try:
            progress = _ProgressWriter(engine, run_id, dispatch.time_limit_of(run))
            plan = dispatch.solve_plan(run, progress=progress,
                                       stop=_CancelCheck(engine, run_id), started=started)
        except dispatch.SolveCancelled:
            db.session.rollback()
            return f"solver run {run_id} was cancelled"
        except DomainError as error:
            db.session.rollback()
            _fail(run_id, error.message)
            return f"solver run {run_id} failed: {error.message}"
        except Exception:
            # A bug, not a verdict on the problem: say so on the run, keep the traceback in
            # the worker's log, and do not let DBOS run it again and again.
            log.exception("solver run %s crashed", run_id)
            db.session.rollback()
            _fail(run_id, "the solver stopped on an internal error (see the worker's log)")
            return f"solver run {run_id} crashed"
        db.session.rollback()  # end the read transaction the solve held open
        with write_transaction():  # on SQLite: take the write lock before reading anything
            return _store(run_id, plan)


def _store(run_id: int, plan: dict) -> str:
    """Write the plan unless the run was cancelled meanwhile: the touch below takes the run's
    row (a row lock on PostgreSQL, the write lock on SQLite) until the commit, so a cancel
    either came first and wins, or waits and then finds the run done (409)."""
    if not SolverRun.compare_and_set(run_id, {S.RUNNING}, S.RUNNING, heartbeat_at=utcnow()):
        db.session.rollback()
        return f"solver run {run_id} was cancelled"
    try:
        summary = dispatch.import_plan(plan, run_id=run_id)
    except DomainError as error:
        db.session.rollback()
        _fail(run_id, error.message)
        return f"solver run {run_id} failed: {error.message}"
    db.session.commit()
    return summary


def _claim(run_id: int, job_id: str, worker: str) -> bool:
    """Take the queued run this job was made for, or take back this worker slot's own running
    run (its previous process died mid-solve)."""
    taken = SolverRun.compare_and_set(
        run_id, {S.QUEUED}, S.RUNNING, SolverRun.job_id == job_id, worker=worker,
        heartbeat_at=utcnow(), attempts=SolverRun.attempts + 1, progress=0.0, figures={})
    if not taken:
        taken = SolverRun.compare_and_set(
            run_id, {S.RUNNING}, S.RUNNING, SolverRun.job_id == job_id,
            SolverRun.worker == worker, heartbeat_at=utcnow(),
            attempts=SolverRun.attempts + 1, progress=0.0, figures={})
    db.session.commit()
    return taken


def _fail(run_id: int, error: str) -> None:
    SolverRun.compare_and_set(run_id, {S.RUNNING}, S.FAILED, error=error, plan=None,
                              finished_at=utcnow())
    db.session.commit()


def fail_stale_runs(now=None) -> list[int]:
    """Fail the running runs whose worker has not said it is alive for STALE_AFTER_S; return
    their ids. Their jobs, if their slot comes back, find them failed and stop."""
    now = now or utcnow()
    limit = current_app.config.get("JOBS_STALE_AFTER_S", 60)
    stale = list(db.session.scalars(select(SolverRun.id).where(
        SolverRun.status == S.RUNNING, SolverRun.heartbeat_at < now - timedelta(seconds=limit))))
    failed = [run_id for run_id in stale if SolverRun.compare_and_set(
        run_id, {S.RUNNING}, S.FAILED, SolverRun.heartbeat_at < now - timedelta(seconds=limit),
        error=f"the worker stopped answering for more than {limit} s", plan=None,
        finished_at=now)]
    db.session.commit()
    return failed


def _touch(engine, run_id: int, **values) -> None:
    """Write to a running run in a short transaction of its own (not the session's, which
    will write the plan); a run no longer running is left alone."""
    with engine.begin() as connection:
        connection.execute(update(SolverRun).where(
            SolverRun.id == run_id, SolverRun.status == S.RUNNING)
            .values(heartbeat_at=utcnow(), **values))


class _ProgressWriter:
    """Writes the solver's reports to the run (its figures, and its progress as the share of
    the time limit used), at most every PROGRESS_EVERY_S and at each new phase. Called from
    solver threads: it holds the engine, not the Flask app."""

    def __init__(self, engine, run_id: int, limit_s: float):
        self.engine, self.run_id, self.limit_s = engine, run_id, limit_s
        self.last_write, self.last_phase = 0.0, None

    def __call__(self, event: dict) -> None:
        now = time.monotonic()
        if event.get("phase") == self.last_phase and now - self.last_write < PROGRESS_EVERY_S:
            return
        self.last_write, self.last_phase = now, event.get("phase")
        _touch(self.engine, self.run_id, figures={key: event.get(key) for key in FIGURE_KEYS},
               progress=running_progress((event.get("elapsed_s") or 0) / self.limit_s))


class _CancelCheck:
    """True once the run is no longer running (cancelled, or failed by the sweep); asks the
    database at most every STOP_CHECK_EVERY_S."""

    def __init__(self, engine, run_id: int):
        self.engine, self.run_id = engine, run_id
        self.last_check, self.stopped = 0.0, False

    def __call__(self) -> bool:
        now = time.monotonic()
        if not self.stopped and now - self.last_check >= STOP_CHECK_EVERY_S:
            self.last_check = now
            with self.engine.connect() as connection:
                status = connection.scalar(select(SolverRun.status)
                                           .where(SolverRun.id == self.run_id))
            self.stopped = status is not S.RUNNING
        return self.stopped


class _Heartbeat:
    """Tells the sweep the worker is alive while it solves, even in long silent phases."""

    def __init__(self, engine, run_id: int):
        self.engine, self.run_id = engine, run_id
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True,
                                       name=f"heartbeat-run-{run_id}")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.done.set()
        self.thread.join()

    def _beat(self) -> None:
        while not self.done.wait(HEARTBEAT_EVERY_S):
            _touch(self.engine, self.run_id)
