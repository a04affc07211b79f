"""Solver runs: their lifecycle on the model, the one door to the scheduler, and solving a run
through it (export -> solve_run -> proposals)."""

import ast
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

import registry
from registry.extensions import db
from registry.models import (
    Assignment,
    AssignmentStatus,
    DomainError,
    InvalidTransition,
    RequestStatus,
    SolverRun,
    SolverRunStatus,
)
from registry.models.assignments import SOLVER_RUN_TRANSITIONS, running_progress
from registry.services import dispatch
from tests.test_dispatch_export import AS_OF, DAYS, JAN, MAR
from tests.test_dispatch_import import a_plan

S = SolverRunStatus
MOVES = {S.RUNNING: "start", S.DONE: "finish", S.FAILED: "fail", S.CANCELLED: "cancel"}


def a_run(status: SolverRunStatus = S.QUEUED) -> SolverRun:
    run = SolverRun(region="SH", window_from=JAN, window_to=MAR, status=status)
    db.session.add(run)
    db.session.flush()
    return run


def move(run: SolverRun, target: SolverRunStatus) -> None:
    method = getattr(run, MOVES[target])
    if target is S.DONE:
        method({"seats_filled": 2}, {"wall_s": 0.5})
    elif target is S.FAILED:
        method("the worker died")
    else:
        method()


# -- lifecycle -----------------------------------------------------------------------------------

LEGAL = [(S.QUEUED, S.RUNNING), (S.QUEUED, S.CANCELLED), (S.RUNNING, S.DONE),
         (S.RUNNING, S.FAILED), (S.RUNNING, S.CANCELLED)]
ILLEGAL = [(current, target) for current in S for target in MOVES
           if (current, target) not in LEGAL]


def test_the_legal_moves_are_exactly_queued_running_and_the_three_ends():
    assert {(c, t) for c, targets in SOLVER_RUN_TRANSITIONS.items() for t in targets} == \
        set(LEGAL)


def test_a_new_run_is_queued_with_no_progress(app):
    run = a_run()
    assert (run.status, run.progress, run.problem, run.plan) == (S.QUEUED, 0.0, None, None)
    assert run.finished_at is None and run.held_seats_breaking_rules == []


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_a_legal_move_changes_the_status(app, current, target):
    run = a_run(current)

    move(run, target)

    assert run.status is target
    assert (run.finished_at is not None) == (target is not S.RUNNING)


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_an_illegal_move_is_refused_with_a_409_and_changes_nothing(app, current, target):
    run = a_run(current)

    with pytest.raises(InvalidTransition, match=f"cannot go from {current} to {target}") as caught:
        move(run, target)

    assert caught.value.status == 409
    assert run.status is current and run.finished_at is None


def test_finishing_records_the_figures_and_full_progress(app):
    run = a_run(S.RUNNING)
    run.progress = running_progress(0.4)
    assert run.progress == 0.4

    run.finish({"seats_filled": 2}, {"wall_s": 0.5})

    assert (run.progress, run.metrics, run.timings) == (1.0, {"seats_filled": 2},
                                                        {"wall_s": 0.5})


def test_progress_stays_below_one_until_the_plan_is_stored():
    assert running_progress(1.7) == 0.99
    assert running_progress(-0.2) == 0.0


def test_a_failed_or_cancelled_run_keeps_its_reason_and_no_plan(app):
    failed, cancelled = a_run(S.RUNNING), a_run(S.RUNNING)
    failed.plan = cancelled.plan = {"assignments": []}

    failed.fail("the worker died")
    cancelled.cancel()

    assert (failed.error, failed.plan, cancelled.plan) == ("the worker died", None, None)


# -- the one door ----------------------------------------------------------------------------------

def test_only_the_dispatch_service_imports_the_scheduler():
    # The rule table and the domain helpers are pure data and definitions, not the solver:
    # every module may name rules by key and share a definition (issue 9 item 1).
    shared = {"scheduler.rules", "scheduler.domain"}
    root = Path(registry.__file__).parent
    importers = set()
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [f"scheduler.{a.name}" if node.module == "scheduler" else node.module
                 for a in node.names] if isinstance(node, ast.ImportFrom) and not node.level \
                else []
            names = [name for name in names if name not in shared]
            if any(name == "scheduler" or name.startswith("scheduler.") for name in names):
                importers.add(path.relative_to(root).as_posix())
    assert importers == {"services/dispatch.py"}


# -- solving a run -------------------------------------------------------------------------------

@pytest.fixture
def open_request(make):
    expert = make.expert()
    request = make.request(days=DAYS)
    return request, expert


def test_export_stores_the_problem_and_parameters_in_their_own_columns(open_request):
    document, run = dispatch.export_problem("SH", JAN, MAR, as_of=AS_OF, time_limit_s=2,
                                            weights={"fairness": 5})

    assert run.problem == document and run.plan is None and run.status is S.QUEUED
    assert run.parameters == {"as_of": "2025-01-10", "mode": "solve", "time_limit_s": 2,
                              "weights": {"fairness": 5}}
    assert document["settings"] == {"cooling_off_days": 1095, "time_limit_s": 2,
                                    "weights": {"fairness": 5}}


def test_solving_a_run_stores_its_plan_as_proposals_and_ends_done(open_request):
    request, expert = open_request
    _document, run = dispatch.export_problem("SH", JAN, MAR, as_of=AS_OF, time_limit_s=1)
    events = []

    summary = dispatch.solve_run(run, progress=events.append)

    assert summary.startswith(f"Solver run {run.id}: 1 new proposal(s)")
    assert run.status is S.DONE and run.progress == 1.0 and run.finished_at is not None
    assert run.plan["assignments"][0]["expert"] == str(expert.id)
    assert run.metrics["seats_filled"] == 1 and run.timings["time_limit_s"] == 1
    assert events[-1]["phase"] == "done"
    stored = db.session.scalars(select(Assignment)).one()
    assert (stored.solver_run_id, stored.status) == (run.id, AssignmentStatus.PROPOSED)
    assert request.status is RequestStatus.PROPOSED


def test_a_replan_run_keeps_the_current_proposal_and_fills_what_changed(open_request, make):
    request, expert = open_request
    _document, first = dispatch.export_problem("SH", JAN, MAR, as_of=AS_OF, time_limit_s=1)
    dispatch.solve_run(first)
    newcomer = make.request(days=((date(2025, 3, 3), date(2025, 3, 3)),))
    make.expert()  # a second candidate for the new request

    _document, run = dispatch.export_problem("SH", JAN, MAR, as_of=AS_OF, mode="replan")
    dispatch.solve_run(run)

    assert run.status is S.DONE and run.parameters["time_limit_s"] == 2
    assert run.timings["replan"] is True and run.timings["previous_kept"] == 1
    pairs = {(a["request"], a["expert"]) for a in run.plan["assignments"]}
    assert (str(request.id), str(expert.id)) in pairs
    assert str(newcomer.id) in {request_id for request_id, _expert in pairs}


def test_a_replan_run_with_no_proposal_to_keep_solves_the_whole_problem(open_request):
    request, expert = open_request
    _document, run = dispatch.export_problem("SH", JAN, MAR, as_of=AS_OF, mode="replan")

    dispatch.solve_run(run)

    assert run.status is S.DONE and "replan" not in run.timings
    assert [(a["request"], a["expert"]) for a in run.plan["assignments"]] == [
        (str(request.id), str(expert.id))]


def test_a_run_whose_registry_moved_during_the_solve_fails_and_writes_nothing(open_request):
    request, _expert = open_request
    _document, run = dispatch.export_problem("SH", JAN, MAR, as_of=AS_OF, time_limit_s=1)
    request.move_to(RequestStatus.CANCELLED)

    summary = dispatch.solve_run(run)

    assert run.status is S.FAILED and "no longer open" in run.error
    assert summary == f"Solver run {run.id} failed: {run.error}"
    assert run.plan is None and db.session.scalars(select(Assignment)).all() == []


def test_a_run_with_an_invalid_problem_fails_with_the_reasons(open_request):
    _document, run = dispatch.export_problem("SH", JAN, MAR, as_of=AS_OF,
                                             weights={"fit": -1})

    dispatch.solve_run(run)

    assert run.status is S.FAILED and "weights.fit must be a number" in run.error


@pytest.mark.parametrize("status", [S.DONE, S.FAILED, S.CANCELLED])
def test_a_finished_run_is_not_solved_again(open_request, status):
    _document, run = dispatch.export_problem("SH", JAN, MAR, as_of=AS_OF)
    run.status = status

    with pytest.raises(InvalidTransition):
        dispatch.solve_run(run)


def test_a_run_that_took_a_plan_takes_no_second_one(open_request):
    request, expert = open_request
    _document, run = dispatch.export_problem("SH", JAN, MAR, as_of=AS_OF)
    dispatch.import_plan(a_plan((request, expert)))

    with pytest.raises(InvalidTransition, match="cannot go from done to running"):
        dispatch.import_plan(a_plan((request, expert)), run_id=run.id)


def test_a_cancelled_run_is_not_the_one_a_plan_answers(open_request):
    request, expert = open_request
    _document, run = dispatch.export_problem("SH", JAN, MAR, as_of=AS_OF)
    run.cancel()

    with pytest.raises(DomainError, match="no exported problem is waiting"):
        dispatch.import_plan(a_plan((request, expert)))


# -- the migration -------------------------------------------------------------------------------

def test_migration_0005_moves_problem_and_plan_out_of_the_parameters_and_back(tmp_path):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from registry import create_app

    url = f"sqlite:///{tmp_path / 'migrate.sqlite'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "t"})
    old = {"as_of": "2025-01-10", "jurisdictions": ["SH"], "problem": {"requests": []},
           "held_seats_breaking_rules": ["rule 6"], "plan_imported": True,
           "plan": {"assignments": []}}
    with app.app_context():
        upgrade(revision="0004")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO solver_run (id, region, window_from, window_to, parameters, "
                "status, progress, metrics, timings, error, created_at) VALUES (1, 'SH', "
                "'2025-01-01', '2025-03-31', :parameters, 'done', 1.0, '{}', '{}', '', "
                "'2025-01-10 00:00:00')"), {"parameters": json.dumps(old)})
        upgrade(revision="0005")
        with db.engine.connect() as connection:  # raw: the model is at the newest revision
            row = connection.execute(text(
                "SELECT parameters, problem, plan, held_seats_breaking_rules FROM solver_run"
            )).one()
        assert [json.loads(value) for value in row] == [
            {"as_of": "2025-01-10"}, {"requests": []}, {"assignments": []}, ["rule 6"]]
        downgrade(revision="0004")
        with db.engine.connect() as connection:
            stored = connection.execute(text("SELECT parameters FROM solver_run")).scalar()
        db.engine.dispose()
    restored = json.loads(stored)
    assert restored == {key: value for key, value in old.items() if key != "jurisdictions"}



@pytest.mark.parametrize("time_limit_s", [0.5, 3])
def test_every_phase_the_solver_reports_has_words_on_the_console(time_limit_s):
    # The console shows a run's phase in words (web/proposal_words.py); a phase the solver
    # reports without them would reach the coordinator as its raw key.
    from registry.web.proposal_words import PHASES
    from scheduler import load_problem, solve
    from scheduler.generate import generate

    phases = []
    solve(load_problem(generate(60, 40, seed=3)), time_limit_s=time_limit_s,
          progress=lambda event: phases.append(event["phase"]))
    assert phases and set(phases) <= set(PHASES)


def test_every_phase_named_in_the_solver_has_words_on_the_console():
    # The run above meets only the phases a small problem goes through; the others (a
    # stalled search, the whole-problem CP-SAT, a re-plan) are read from the solver's source.
    import re
    from pathlib import Path

    from registry.web.proposal_words import PHASES

    solver = Path(__file__).resolve().parent.parent / "scheduler"
    source = "".join(path.read_text(encoding="utf-8") for path in solver.glob("*.py"))
    named = set(re.findall(r'clock\.(?:report|tick)\("([^"]+)"', source))
    assert {"improve", "lns", "keep previous", "done"} <= named and named <= set(PHASES)
