"""Solver runs as durable jobs, in this process: the run and its DBOS job written in one
transaction, the worker's side (claim, progress, store, cancel, the stale sweep), and the API.
A real worker process solving and surviving SIGKILL is tests/test_worker.py."""

from datetime import date, timedelta

import pytest
from dbos import DBOSClient
from dbos._error import DBOSNonExistentWorkflowError
from sqlalchemy import select

from registry import jobs
from registry.extensions import db
from registry.models import (
    Assignment,
    AssignmentStatus,
    DeclaredConflict,
    InvalidTransition,
    Party,
    PartyRole,
    SolverRun,
    SolverRunStatus,
)
from registry.models.base import utcnow
from registry.services import dispatch, solver_runs

S = SolverRunStatus
WINDOW = {"region": "SH", "from": "2025-01-01", "to": "2025-12-31", "time_limit_s": 2}


def job_status(app, job_id: str) -> str:
    client = DBOSClient(system_database_url=jobs.system_database_url(app))
    try:
        return client.retrieve_workflow(job_id).get_status().status
    finally:
        client.destroy()


def start(world, who="coordinator_sh", region="SH") -> SolverRun:
    run = solver_runs.start_run(world.users[who], region, date(2025, 1, 1),
                                date(2025, 12, 31), time_limit_s=2)
    db.session.commit()
    return run


# -- the run and its job ------------------------------------------------------------------------

def test_a_started_run_is_queued_with_its_job(app, world):
    run = start(world)

    assert run.status is S.QUEUED and run.job_id.startswith(f"solve-run-{run.id}-")
    assert job_status(app, run.job_id) == "ENQUEUED"
    assert run.problem["requests"][0]["id"] == str(world.sh_request.id)


def test_a_run_rolled_back_leaves_no_job_behind(app, world):
    run = solver_runs.start_run(world.users["coordinator_sh"], "SH", date(2025, 1, 1),
                                date(2025, 12, 31))
    job_id = run.job_id
    db.session.rollback()

    assert db.session.scalars(select(SolverRun)).all() == []
    with pytest.raises(DBOSNonExistentWorkflowError):
        job_status(app, job_id)


@pytest.mark.parametrize("who", ["clerk_sh", "expert_sh", "coordinator_gba"])
def test_only_the_regions_coordinators_start_a_run(app, world, who):
    with pytest.raises(Exception, match="only coordinators of the region"):
        start(world, who)
    db.session.rollback()
    assert db.session.scalars(select(SolverRun)).all() == []


def test_a_region_coordinator_cannot_run_a_wider_region(app, world):
    with pytest.raises(Exception, match="only coordinators of the region"):
        start(world, "coordinator_sh", region="YRD")


# -- the worker's side ----------------------------------------------------------------------------

def test_executing_the_job_solves_the_run_and_stores_proposals(app, world):
    run = start(world)

    summary = solver_runs.execute(run.id, run.job_id, worker="test-slot")

    db.session.refresh(run)
    assert summary.startswith(f"Solver run {run.id}: ")
    assert (run.status, run.worker, run.attempts) == (S.DONE, "test-slot", 1)
    assert run.figures["phase"] == "done" and run.figures["seats_filled"] >= 1
    assert set(run.figures) == set(solver_runs.FIGURE_KEYS)
    assert run.metrics["seats_filled"] >= 1 and run.heartbeat_at is not None
    proposals = db.session.scalars(select(Assignment).where(
        Assignment.solver_run_id == run.id)).all()
    assert proposals and all(a.status is AssignmentStatus.PROPOSED for a in proposals)


def test_the_worker_replans_from_the_proposal_of_the_run_before(app, world):
    first = start(world)
    solver_runs.execute(first.id, first.job_id, worker="test-slot")
    kept = {(a.request_id, a.expert_id) for a in db.session.scalars(select(Assignment).where(
        Assignment.solver_run_id == first.id))}
    again = solver_runs.run_again(world.users["coordinator_sh"], first, "replan")
    db.session.commit()

    solver_runs.execute(again.id, again.job_id, worker="test-slot")

    db.session.refresh(again)
    assert again.status is S.DONE and again.timings["replan"] is True
    assert again.figures["phase"] == "done"
    assert again.timings["previous_kept"] == len(kept) > 0
    assert {(int(a["request"]), int(a["expert"])) for a in again.plan["assignments"]} >= kept


def test_another_job_or_worker_cannot_take_a_run(app, world):
    run = start(world)
    solver_runs.execute(run.id, run.job_id, worker="slot-1")

    again = solver_runs.execute(run.id, run.job_id, worker="slot-1")
    other_job = solver_runs.execute(run.id, "solve-run-forged", worker="slot-2")

    db.session.refresh(run)
    assert "was not waiting" in again and "was not waiting" in other_job
    assert (run.status, run.attempts) == (S.DONE, 1)


def test_a_slot_takes_back_its_own_run_after_a_crash_but_no_other_slot_does(app, world):
    run = start(world)
    assert SolverRun.compare_and_set(run.id, {S.QUEUED}, S.RUNNING, worker="slot-1",
                                     attempts=1, heartbeat_at=utcnow())
    db.session.commit()

    stolen = solver_runs.execute(run.id, run.job_id, worker="slot-2")
    recovered = solver_runs.execute(run.id, run.job_id, worker="slot-1")

    db.session.refresh(run)
    assert "was not waiting" in stolen and recovered.startswith(f"Solver run {run.id}: ")
    assert (run.status, run.worker, run.attempts) == (S.DONE, "slot-1", 2)


def test_a_cancelled_queued_run_is_never_solved(app, world):
    run = start(world)
    solver_runs.cancel_run(run, world.users["coordinator_sh"])
    db.session.commit()

    outcome = solver_runs.execute(run.id, run.job_id, worker="slot-1")

    db.session.refresh(run)
    assert "was not waiting" in outcome and run.status is S.CANCELLED
    assert db.session.scalars(select(Assignment).where(
        Assignment.solver_run_id == run.id)).all() == []


def test_a_cancel_that_lands_during_the_solve_keeps_the_previous_proposal(app, world):
    run = start(world)
    solver_runs._claim(run.id, run.job_id, "slot-1")
    plan = dispatch.solve_plan(db.session.get(SolverRun, run.id))
    db.session.rollback()
    solver_runs.cancel_run(db.session.get(SolverRun, run.id), world.users["coordinator_sh"])
    db.session.commit()

    outcome = solver_runs._store(run.id, plan)

    db.session.refresh(run)
    assert "was cancelled" in outcome and (run.status, run.plan) == (S.CANCELLED, None)
    db.session.refresh(world.proposal)
    assert world.proposal.status is AssignmentStatus.PROPOSED  # the earlier proposal stands
    assert world.proposal.solver_run_id is None


def test_the_cancel_check_turns_true_once_the_run_is_cancelled(app, world):
    run = start(world)
    solver_runs._claim(run.id, run.job_id, "slot-1")
    check = solver_runs._CancelCheck(db.engine, run.id)
    assert check() is False

    SolverRun.compare_and_set(run.id, {S.RUNNING}, S.CANCELLED)
    db.session.commit()
    check.last_check = 0.0

    assert check() is True


def test_cancelling_a_finished_run_is_a_409_and_changes_nothing(app, world):
    run = start(world)
    solver_runs.execute(run.id, run.job_id, worker="slot-1")

    with pytest.raises(InvalidTransition) as caught:
        solver_runs.cancel_run(db.session.get(SolverRun, run.id),
                               world.users["coordinator_sh"])

    assert caught.value.status == 409
    assert db.session.get(SolverRun, run.id).status is S.DONE


def test_an_illegal_compare_and_set_is_refused_before_any_write(app, world):
    run = start(world)
    with pytest.raises(InvalidTransition):
        SolverRun.compare_and_set(run.id, {S.QUEUED}, S.DONE)
    assert db.session.get(SolverRun, run.id).status is S.QUEUED


def test_progress_is_written_at_most_twice_a_second_and_at_each_phase(app, world):
    run = start(world)
    solver_runs._claim(run.id, run.job_id, "slot-1")
    writer = solver_runs._ProgressWriter(db.engine, run.id, limit_s=2)

    writer({"phase": "repair", "elapsed_s": 0.1, "seats_filled": 1})
    writer({"phase": "repair", "elapsed_s": 0.2, "seats_filled": 2})  # too soon: skipped
    db.session.expire_all()
    assert db.session.get(SolverRun, run.id).figures["seats_filled"] == 1

    writer({"phase": "lns", "elapsed_s": 0.5, "seats_filled": 3})  # a new phase: written
    db.session.expire_all()
    written = db.session.get(SolverRun, run.id)
    assert written.figures["seats_filled"] == 3
    assert written.progress == 0.25  # 0.5 s of the 2 s limit

    writer({"phase": "done", "elapsed_s": 2.4, "seats_filled": 3})
    db.session.expire_all()
    assert db.session.get(SolverRun, run.id).progress == 0.99  # 1 once the plan is stored


def test_the_sweep_fails_runs_whose_worker_went_silent(app, world):
    silent, alive = start(world), start(world)
    now = utcnow()
    for run, beat in ((silent, now - timedelta(seconds=90)), (alive, now)):
        SolverRun.compare_and_set(run.id, {S.QUEUED}, S.RUNNING, worker="slot-1",
                                  heartbeat_at=beat)
    db.session.commit()

    assert solver_runs.fail_stale_runs(now) == [silent.id]

    db.session.expire_all()
    assert db.session.get(SolverRun, silent.id).status is S.FAILED
    assert "stopped answering" in db.session.get(SolverRun, silent.id).error
    assert db.session.get(SolverRun, alive.id).status is S.RUNNING


# -- the API ------------------------------------------------------------------------------------

def test_post_queues_a_run_and_get_follows_it(client, world, as_):
    posted = client.post("/api/v1/solver-runs", json=WINDOW, headers=as_("coordinator_sh"))

    assert posted.status_code == 202, posted.json
    run = posted.json
    assert (run["status"], run["region"], run["from"]) == ("queued", "SH", "2025-01-01")
    assert run["parameters"]["time_limit_s"] == 2
    read = client.get(f"/api/v1/solver-runs/{run['id']}", headers=as_("coordinator_sh"))
    assert read.status_code == 200 and read.json["id"] == run["id"]
    listed = client.get("/api/v1/solver-runs?status=queued", headers=as_("coordinator_sh"))
    assert [item["id"] for item in listed.json["items"]] == [run["id"]]


def test_a_run_posted_as_a_replan_gets_the_short_limit(client, world, as_):
    window = {key: value for key, value in WINDOW.items() if key != "time_limit_s"}
    posted = client.post("/api/v1/solver-runs", json={**window, "mode": "replan"},
                         headers=as_("coordinator_sh"))

    assert posted.status_code == 202, posted.json
    assert (posted.json["parameters"]["mode"], posted.json["parameters"]["time_limit_s"]) == (
        "replan", 2)


@pytest.mark.parametrize(("change", "field"), [
    ({"to": "2024-12-01"}, "to"),
    ({"time_limit_s": 0}, "time_limit_s"),
    ({"time_limit_s": 601}, "time_limit_s"),
    ({"weights": {"fit": -1}}, "weights"),
    ({"weights": {"colour": 1}}, "weights"),
    ({"from": "01/01/2025"}, "from"),
    ({"mode": "guess"}, "mode"),
])
def test_bad_run_requests_are_refused_field_by_field_and_create_nothing(client, world, as_,
                                                                      change, field):
    response = client.post("/api/v1/solver-runs", json={**WINDOW, **change},
                           headers=as_("coordinator_sh"))

    assert response.status_code == 422
    assert field in response.json["errors"]["json"]
    assert db.session.scalars(select(SolverRun)).all() == []


def test_an_unknown_region_is_refused(client, world, as_):
    response = client.post("/api/v1/solver-runs", json={**WINDOW, "region": "XX"},
                           headers=as_("admin"))
    assert response.status_code == 422 and "unknown region" in response.text


@pytest.mark.parametrize(("who", "status"), [("clerk_sh", 403), ("expert_sh", 403),
                                              ("coordinator_gba", 403)])
def test_only_the_regions_coordinators_post_runs(client, world, as_, who, status):
    response = client.post("/api/v1/solver-runs", json=WINDOW, headers=as_(who))
    assert response.status_code == status


def test_anonymous_callers_get_a_401(client, world):
    assert client.post("/api/v1/solver-runs", json=WINDOW).status_code == 401
    assert client.get("/api/v1/solver-runs").status_code == 401


def test_another_regions_runs_are_invisible(client, world, as_):
    run = client.post("/api/v1/solver-runs", json=WINDOW, headers=as_("coordinator_sh")).json

    assert client.get(f"/api/v1/solver-runs/{run['id']}",
                      headers=as_("coordinator_gba")).status_code == 404
    assert client.get("/api/v1/solver-runs", headers=as_("coordinator_gba")).json["items"] == []
    assert client.post(f"/api/v1/solver-runs/{run['id']}/cancel",
                       headers=as_("coordinator_gba")).status_code == 404
    assert client.get("/api/v1/solver-runs", headers=as_("clerk_sh")).status_code == 403
    # A clerk learns nothing of which runs exist: the same 403 for a run and for no run.
    for run_id in (run["id"], run["id"] + 1000):
        assert client.get(f"/api/v1/solver-runs/{run_id}",
                          headers=as_("clerk_sh")).status_code == 403
    assert client.get(f"/api/v1/solver-runs/{run['id']}",
                      headers=as_("coordinator_yrd")).status_code == 200
    wider = client.get("/api/v1/solver-runs", headers=as_("coordinator_yrd")).json["items"]
    assert [item["id"] for item in wider] == [run["id"]]  # SH lies within YRD


def test_cancel_once_then_409(client, world, as_):
    run = client.post("/api/v1/solver-runs", json=WINDOW, headers=as_("coordinator_sh")).json

    first = client.post(f"/api/v1/solver-runs/{run['id']}/cancel",
                        headers=as_("coordinator_sh"))
    second = client.post(f"/api/v1/solver-runs/{run['id']}/cancel",
                         headers=as_("coordinator_sh"))

    assert first.status_code == 200 and first.json["status"] == "cancelled"
    assert second.status_code == 409


def test_confirming_a_run_confirms_its_proposals_in_one_call(client, world, as_):
    run = start(world)
    solver_runs.execute(run.id, run.job_id, worker="slot-1")
    proposed = {a.id for a in db.session.scalars(select(Assignment).where(
        Assignment.solver_run_id == run.id))}

    response = client.post(f"/api/v1/solver-runs/{run.id}/confirm",
                           headers=as_("coordinator_sh"))

    assert response.status_code == 200, response.json
    assert set(response.json["confirmed"]) == proposed and response.json["refused"] == []
    db.session.expire_all()
    assert {a.status for a in db.session.scalars(select(Assignment).where(
        Assignment.id.in_(proposed)))} == {AssignmentStatus.CONFIRMED}
    assert client.post(f"/api/v1/solver-runs/{run.id}/confirm",
                       headers=as_("coordinator_gba")).status_code == 404


def test_a_proposal_that_now_breaks_a_rule_is_refused_and_the_rest_confirmed(client, world,
                                                                            as_, make):
    run = start(world)
    solver_runs.execute(run.id, run.job_id, worker="slot-1")
    proposal = db.session.scalars(select(Assignment).where(
        Assignment.solver_run_id == run.id)).first()
    party = make.organization()  # the expert declares a conflict with a new party, after
    db.session.add(Party(case=proposal.request.case, organization=party,
                         role=PartyRole.PLAINTIFF))
    db.session.add(DeclaredConflict(expert_id=proposal.expert_id, organization_id=party.id))
    db.session.commit()

    response = client.post(f"/api/v1/solver-runs/{run.id}/confirm",
                           headers=as_("coordinator_sh"))

    refused = response.json["refused"]
    assert [item["assignment_id"] for item in refused] == [proposal.id]
    assert "conflict" in refused[0]["reason"]
    db.session.expire_all()
    assert db.session.get(Assignment, proposal.id).status is AssignmentStatus.PROPOSED
