"""A real worker process (`flask worker`) on its own demo registry: it solves a queued run;
killed with SIGKILL mid-solve it loses nothing (its slot, restarted, runs the job again, and
the previous proposal stays whole meanwhile); a slot that never comes back has its run failed
by another worker's sweep. On SQLite, and on PostgreSQL when TEST_DATABASE_URL names one (in
a database of its own, created here)."""

import os
import signal
import subprocess
import time
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, make_url, select, text

from registry import create_app, jobs
from registry.extensions import db
from registry.models import Assignment, AssignmentStatus, SolverRun, SolverRunStatus, User, UserRole
from registry.services import solver_runs
from tests.processes import flask

S = SolverRunStatus
WAIT_S = 90


def _database(tmp_path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'worker.sqlite'}"
    name = f"{make_url(url).database}_worker"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("worker")
    url = _database(folder)
    for command in (("db", "upgrade"), ("seed", "--demo")):
        log = folder / f"{command[0]}.log"
        assert flask(url, *command, log=log).wait(timeout=120) == 0, log.read_text()
    return url


@pytest.fixture
def demo(demo_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": demo_url, "TESTING": True,
                      "SECRET_KEY": "test"})
    with app.app_context():
        yield app
        db.session.remove()
        jobs.dispose(app)
        db.engine.dispose()


@pytest.fixture
def workers(demo_url, tmp_path):
    started = []

    def start(executor: str, **env) -> subprocess.Popen:
        process = flask(demo_url, "worker", "--executor-id", executor,
                        log=tmp_path / f"{executor}.log", **env)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def coordinator() -> User:
    return db.session.scalar(select(User).where(User.role == UserRole.COORDINATOR,
                                                User.region == "YRD"))


def queue_run(time_limit_s: float = 10) -> SolverRun:
    today = date.today()
    run = solver_runs.start_run(coordinator(), "YRD", today, today + timedelta(days=180),
                                time_limit_s=time_limit_s)
    db.session.commit()
    return run


def wait_for(run_id: int, statuses: set, timeout: float = WAIT_S) -> SolverRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        run = db.session.get(SolverRun, run_id)
        if run.status in statuses:
            return run
        time.sleep(0.01)
    raise AssertionError(f"run {run_id} still {run.status} after {timeout} s")


def proposals_of(run_id: int) -> set[int]:
    db.session.expire_all()
    return set(db.session.scalars(select(Assignment.id).where(
        Assignment.solver_run_id == run_id, Assignment.status == AssignmentStatus.PROPOSED)))


def killed_mid_solve(workers, executor: str) -> SolverRun:
    """Queue runs until a SIGKILL lands while one is being solved (a solve of the demo takes a
    fraction of a second, so the kill can come too late; then the next run is tried)."""
    for _ in range(5):
        run = queue_run()
        process = workers(executor)
        wait_for(run.id, {S.RUNNING, S.DONE, S.FAILED})
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        db.session.expire_all()
        if db.session.get(SolverRun, run.id).status is S.RUNNING:
            return run
    pytest.fail("the worker finished every solve before it could be killed")


def test_a_worker_solves_a_queued_run_and_stops_on_sigterm(demo, workers):
    run = queue_run(time_limit_s=3)
    process = workers(f"test-{uuid.uuid4().hex[:8]}")

    done = wait_for(run.id, {S.DONE, S.FAILED})

    assert done.status is S.DONE, done.error
    assert done.figures["phase"] == "done" and done.attempts == 1
    assert proposals_of(run.id)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


def test_a_worker_killed_mid_solve_loses_nothing_and_its_slot_runs_the_job_again(demo,
                                                                                 workers):
    executor = f"test-{uuid.uuid4().hex[:8]}"
    previous = queue_run(time_limit_s=2)
    solver_runs.execute(previous.id, previous.job_id, worker="earlier")
    before = proposals_of(previous.id)
    assert before

    run = killed_mid_solve(workers, executor)

    assert proposals_of(previous.id) == before  # no half of the new plan, nothing withdrawn
    assert proposals_of(run.id) == set()
    workers(executor)  # the same slot comes back: DBOS recovers its pending job
    redone = wait_for(run.id, {S.DONE, S.FAILED})
    assert (redone.status, redone.attempts, redone.worker) == (S.DONE, 2, executor)
    assert proposals_of(run.id)


def test_a_slot_that_never_returns_has_its_run_failed_by_the_sweep(demo, workers):
    run = killed_mid_solve(workers, f"test-{uuid.uuid4().hex[:8]}")

    workers(f"test-{uuid.uuid4().hex[:8]}", JOBS_STALE_AFTER_S="2", JOBS_SWEEP_EVERY_S="0.5")
    failed = wait_for(run.id, {S.FAILED, S.DONE}, timeout=30)

    assert failed.status is S.FAILED and "stopped answering" in failed.error
    assert failed.plan is None and proposals_of(run.id) == set()
