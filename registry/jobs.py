"""Durable background jobs on DBOS Transact: a solver run is solved by a worker (docs/jobs.md).

Web processes never solve. They write the run and its job in one transaction on the app's own
database, where DBOS keeps its tables (the `dbos` schema on PostgreSQL, beside ours in the
SQLite file): there is never a run without its job, nor a job without its run. Workers
(`flask worker`) take jobs from the queue one at a time per slot. A worker killed mid-solve
loses nothing: its slot, restarted with the same executor id and application version, runs
the job again from the start (DBOS recovery); meanwhile, and if it never comes back, the
other workers' sweep fails runs whose heartbeat went stale (services/solver_runs.py).

`import dbos` costs half a second, so it is imported only where a job is enqueued or run.
"""

import logging
import signal
import socket
import threading
import uuid

from flask import Flask, current_app

from registry.extensions import db

APP_NAME = "expert-dispatch"
QUEUE = "solver-runs"
WORKFLOW = "solve_run"
# Pinned: a dead worker's jobs are recovered only by a worker of the same version. Bump it
# only when the workflow's steps change, after the queue has drained (docs/jobs.md).
APPLICATION_VERSION = "solve-run/1"
QUEUE_POLL_S = 0.2  # a queued run is picked up within this, on top of the transaction

log = logging.getLogger(__name__)


def system_database_url(app: Flask) -> str:
    """DBOS's tables live in the app's database unless JOBS_DATABASE_URL says otherwise."""
    return app.config.get("JOBS_DATABASE_URL") or app.config["SQLALCHEMY_DATABASE_URI"]


def prepare_database(app: Flask) -> None:
    """Create or update DBOS's tables (idempotent). `flask db upgrade` calls it after our own
    migrations (migrations/env.py); a worker's launch does it too. Never inside an open
    transaction: on SQLite it takes the write lock."""
    from dbos import DBOS

    DBOS.migrate(system_database_url(app))


def _client():
    """This process's DBOS client, made on first use (DBOS's tables must exist: a client never
    creates them)."""
    app = current_app._get_current_object()
    client = app.extensions.get("jobs_client")
    if client is None:
        from dbos import DBOSClient

        client = app.extensions["jobs_client"] = DBOSClient(
            system_database_url=system_database_url(app))
    return client


def enqueue_solve(run) -> None:
    """Queue the run's job in the caller's transaction: it is committed with the run, or not
    at all. The run must be flushed (it needs its id)."""
    run.job_id = f"solve-run-{run.id}-{uuid.uuid4().hex[:12]}"
    options = {"queue_name": QUEUE, "workflow_name": WORKFLOW, "workflow_id": run.job_id,
               "app_version": APPLICATION_VERSION}
    if system_database_url(current_app) == current_app.config["SQLALCHEMY_DATABASE_URI"]:
        _client().enqueue_in_transaction(db.session.connection(), options, run.id,
                                         run.job_id)
    else:  # a separate jobs database: the job goes in once the run is safely written
        db.session.flush()
        _client().enqueue(options, run.id, run.job_id)


def dispose(app: Flask) -> None:
    """Close this process's DBOS client, if it made one (tests make many apps)."""
    client = app.extensions.pop("jobs_client", None)
    if client is not None:
        client.destroy()


def executor_id(slot: int) -> str:
    """A worker slot's stable name: this machine and the slot number."""
    return f"{socket.gethostname()}-worker-{slot}"


def run_worker(app: Flask, slot: int = 1, executor: str | None = None) -> None:
    """Take solver jobs from the queue until SIGTERM or SIGINT; recover this slot's jobs
    left pending by a previous process of the same slot."""
    from dbos import DBOS

    from registry.services import solver_runs

    name = executor or executor_id(slot)

    @DBOS.workflow(name=WORKFLOW)
    def solve_run(run_id: int, job_id: str) -> str:
        return solve_step(run_id, job_id)

    @DBOS.step(name="solve")
    def solve_step(run_id: int, job_id: str) -> str:
        with app.app_context():
            return solver_runs.execute(run_id, job_id, worker=name)

    DBOS(config={"name": APP_NAME, "system_database_url": system_database_url(app),
                 "executor_id": name, "application_version": APPLICATION_VERSION,
                 "log_level": "WARNING"})
    DBOS.listen_queues([QUEUE])
    DBOS.launch()
    DBOS.register_queue(QUEUE, worker_concurrency=1, polling_interval_sec=QUEUE_POLL_S)
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    log.warning("worker %s (version %s) listening on queue %s", name, APPLICATION_VERSION,
                QUEUE)
    while True:
        with app.app_context():
            for run_id in solver_runs.fail_stale_runs():
                log.warning("solver run %s failed: its worker stopped answering", run_id)
        if stopping.wait(app.config.get("JOBS_SWEEP_EVERY_S", 10)):
            break
    DBOS.destroy(workflow_completion_timeout_sec=0)
