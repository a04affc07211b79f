"""The one door between the registry and the scheduler (docs/dispatch.md).

Only this module imports `scheduler`. It exports a region's problem and queues a solver run,
imports a plan for a run, checks a coordinator's hand-picked expert, and solves a run; the
registry's halves of that work (building a problem from the database, checking a plan against
the registry and writing proposals) are problem_export and plan_import, which never call the
solver themselves. The caller owns the transaction: nothing here commits.
"""

import time
from collections.abc import Callable
from datetime import date

import scheduler
from registry.models import DispatchRequest, DomainError, Expert, SolverRun, SolverRunStatus
from registry.services import plan_import, problem_export
from registry.services.plan_import import listing


def export_problem(region: str, start: date, end: date, as_of: date | None = None, actor=None,
                   *, time_limit_s: float | None = None,
                   weights: dict | None = None) -> tuple[dict, SolverRun]:
    """Build the problem for a region's open requests in [start, end] and queue a solver run.

    Held seats whose expert now breaks a rule are left out of the problem and listed on the
    run (`held_seats_breaking_rules`). The run is added and flushed, not committed.
    """
    as_of = as_of or date.today()
    document = problem_export.region_problem(region, start, end, as_of)
    released = problem_export.release_broken_pins(document, _pinned_violations(document))
    parameters = problem_export.run_parameters(as_of, time_limit_s, weights)
    run = problem_export.queue_run(document, region, start, end, parameters, released, actor)
    return document, run


def _pinned_violations(document: dict) -> list[scheduler.Violation]:
    if not document["pinned"]:
        return []
    return scheduler.verify(scheduler.load_problem(dict(document, pinned=[])),
                            {"assignments": document["pinned"]})


def import_plan(plan: dict, run_id: int | None = None, actor=None) -> str:
    """Store a verified plan as proposals of its solver run (the run named, else the latest
    queued one) and mark the run done; return a one-line summary.

    Raises DomainError, naming every offending item, when the plan is malformed, breaks a
    hard rule, or no longer fits the registry; then nothing is written. A run that is done,
    failed or cancelled takes no plan (InvalidTransition). No commit here.
    """
    pairs = plan_import.check_structure(plan)
    run = plan_import.find_run(run_id)
    if problems := verify_plan(run.problem, plan):
        raise DomainError("the plan breaks the hard rules: {problems}", field="plan",
                          problems=listing(problems))
    requests = plan_import.problem_requests(run.problem)
    changes = plan_import.registry_changes(run.problem, requests, pairs)
    if not changes:
        current = plan_import.current_problem(run.problem, requests, pairs)
        changes = verify_plan(current, plan)
    if changes:
        raise DomainError("the registry changed since the export: {problems}", field="plan",
                          problems=listing(changes))
    return plan_import.store_plan(run, requests, plan, actor)


def verify_plan(problem: dict, plan: dict) -> list[str]:
    """Every violation of the 13 rules by the plan, or why the problem itself is invalid."""
    try:
        loaded = scheduler.load_problem(problem)
    except scheduler.ProblemError as error:
        return list(error.errors)
    return [str(violation) for violation in scheduler.verify(loaded, plan)]


def check_manual_assignment(request: DispatchRequest, expert: Expert,
                    as_of: date | None = None) -> list[str]:
    """Why putting this expert on this request would break a hard rule ([] when it would not).

    Builds a one-request problem from today's registry and verifies the request's held seats
    plus the new pair, so a coordinator's choice (a hand pick, or the confirmation of a
    proposal) is judged by the solver's own rules.
    """
    as_of = as_of or date.today()
    if why := problem_export.barred(expert, as_of):
        return [f"expert {expert.id} {why}"]
    if not request.is_open:
        return [f"request {request.id} is {request.status.value}, not open"]
    problem, pairs = problem_export.hand_pick_problem(request, expert, as_of)
    return verify_plan(problem, {"assignments": pairs})


def solve_run(run: SolverRun, *, progress: Callable[[dict], None] | None = None,
              actor=None, seed: int = 0) -> str:
    """Solve a queued (or already started) run's problem with its time limit and weights and
    store the plan as its proposals; return a one-line summary.

    The run ends done, or failed with the reason (an invalid problem, or a plan the registry
    refuses because it moved meanwhile; then no proposal is written). `progress` receives the
    solver's reports as the run's own progress is updated. No commit here: a worker commits
    after, or rolls back and marks the run failed itself.
    """
    started = time.monotonic()
    if run.status is SolverRunStatus.QUEUED:
        run.start()
    run.check_move_to(SolverRunStatus.DONE)  # a finished run is not solved again
    try:
        problem = scheduler.load_problem(_problem_to_solve(run))
    except scheduler.ProblemError as error:
        run.fail("the problem is invalid: " + listing(list(error.errors)))
        return f"Solver run {run.id} failed: {run.error}"
    limit = run.parameters.get("time_limit_s")

    def report(event: dict) -> None:
        run.report(event["elapsed_s"] / (limit or problem.settings.time_limit_s))
        if progress is not None:
            progress(event)

    plan = scheduler.solve(problem, time_limit_s=limit, seed=seed, progress=report,
                           started=started)
    try:
        return import_plan(plan.to_dict(), run_id=run.id, actor=actor)
    except DomainError as error:
        run.fail(error.message)
        return f"Solver run {run.id} failed: {run.error}"


def _problem_to_solve(run: SolverRun) -> dict:
    """The run's problem with the run's own time limit and weights as its settings."""
    return dict(run.problem, settings=problem_export.settings(run.parameters))
