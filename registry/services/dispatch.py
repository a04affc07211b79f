"""The one door between the registry and the scheduler (docs/dispatch.md).

Only this module imports `scheduler`. It exports a region's problem and queues a solver run,
imports a plan for a run, checks a coordinator's hand-picked expert, and solves a run; the
registry's halves of that work (building a problem from the database, checking a plan against
the registry and writing proposals) are problem_export and plan_import, which never call the
solver themselves. The caller owns the transaction: nothing here commits.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import scheduler
from registry.i18n import N_
from registry.models import (
    Assignment,
    DispatchRequest,
    DomainError,
    Expert,
    SolverRun,
    SolverRunStatus,
)
from registry.services import plan_import, problem_export, reach
from registry.services.locks import hold
from registry.services.plan_import import listing
from scheduler import rules
from scheduler.problem import DEFAULT_WEIGHTS, MAX_WEIGHTS  # noqa: F401 (for the run form)


def export_problem(region: str, start: date, end: date, as_of: date | None = None, actor=None,
                   *, time_limit_s: float | None = None, weights: dict | None = None,
                   mode: str = "solve") -> tuple[dict, SolverRun]:
    """Build the problem for a region's open requests in [start, end] and queue a solver run
    (`mode`: problem_export.RUN_MODES).

    Held seats whose expert now breaks a rule are left out of the problem and listed on the
    run (`held_seats_breaking_rules`). The run is added and flushed, not committed.
    """
    as_of = as_of or date.today()
    document = problem_export.region_problem(region, start, end, as_of)
    released = problem_export.release_broken_pins(document, _pinned_violations(document))
    parameters = problem_export.run_parameters(as_of, time_limit_s, weights, mode)
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
    # Checked and written while its requests and experts are held: a hand-pick or a decline
    # meanwhile comes before (and the check sees it) or after (and sees the proposals).
    hold(requests=requests, experts=plan_import.planned_experts(pairs))
    # Holding expired every row read before it (locks.py): read the requests again in one
    # go, or each would come back alone, with its assignments, case and days (4,950
    # statements for a plan of 566 seats on PostgreSQL).
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


def confirmable_together(proposals: list[Assignment], as_of: date | None = None) -> bool:
    """Whether the hard rules hold for all these proposals at once, beside every held seat,
    in today's registry. The rules only forbid (a part of a plan that breaks none breaks
    none), so then each proposal's own check (check_manual_assignment, with the ones
    confirmed before it held) would find nothing either: confirm-all makes this one check
    instead of one a seat, and falls back to those when it finds anything."""
    as_of = as_of or date.today()
    if not proposals or not all(a.request.is_open for a in proposals):
        return False
    problem, pairs = problem_export.confirmation_problem(proposals, as_of)
    return not verify_plan(problem, {"assignments": pairs})


# Rules about the size of a plan, not about a pair: a seat already taken is not judged by them
# again (its own load is in the plan, the seats were counted when it was taken).
PLAN_SIZE_RULES = {"reference", "workload", "seats", "pinned"}


def held_seat_breaches(request: DispatchRequest, as_of: date | None = None,
                       since: date | None = None) -> list[tuple[int, str, str]]:
    """Which seats of the request (proposed, confirmed or accepted, whatever the request's
    status) now break a hard rule, as (expert_id, rule key, verify's message).

    The seats themselves are the plan of a one-request problem of today's registry, so a seat
    is never judged as a new pair against itself. An expert barred everywhere (not active, or
    a serious or suspending credit record) breaks `appointment` without a problem.

    `since` (at most the request's first day) is the day from which the experts' absences
    and bookings are read: several requests judged one after another with the same `since`
    share those reads within the transaction (problem_export, memo.py).
    """
    as_of = as_of or date.today()
    seats = [a for a in request.assignments if a.is_active]
    out = [(a.expert_id, "appointment", f"expert {a.expert_id} {why}") for a in seats
           if (why := problem_export.barred(a.expert, as_of))]
    barred = {expert_id for expert_id, _rule, _message in out}
    judged = sorted({a.expert_id for a in seats} - barred)
    if not judged:
        return out
    problem = problem_export.problem_document([request], judged, as_of,
                                              reach.agreements_in_force(as_of),
                                              since=since)
    if not problem["requests"]:
        return out
    pairs = [{"request": str(request.id), "expert": str(e)} for e in judged]
    try:
        # Unpinned: a pinned pair that breaks a rule makes the problem invalid (rule 13),
        # and that breach is what is asked here.
        loaded = scheduler.load_problem(dict(problem, pinned=[]))
    except scheduler.ProblemError:  # the registry holds what the format refuses: no verdict
        return out
    violations = scheduler.verify(loaded, {"assignments": pairs})
    return out + [(int(v.expert), v.key, v.message) for v in violations
                  if v.expert and v.key not in PLAN_SIZE_RULES]


# What each rule protects, for the coordinator who just tried to break it, by the keys of the
# rule table (scheduler/rules.py; their titles, in Chinese and English, come from there too:
# web/labels.py). These sentences are the catalog's, so they stay translatable.
RULE_EXPLANATIONS = {
    "reference": N_("the request or the expert is not in the registry"),
    "role": N_("the expert does not serve in the role the request needs"),
    "appointment": N_("the expert's appointment does not cover the request's days"),
    "expertise": N_("none of the expert's fields matches the request's technical fields"),
    "jurisdiction": N_("the expert's appointment is not recognised where the case is heard "
                       "for this role, or the arbitrator is not on the institution's roster "
                       "for the request's days"),
    "travel": N_("the case's city is farther than the expert travels"),
    "conflict_of_interest": N_("the expert declared a conflict with a party or its counsel, "
                               "or worked for one of them within the cooling-off period"),
    "availability": N_("the expert is unavailable on the request's days"),
    "double_booking": N_("the expert is already booked on some of the request's days"),
    "workload": N_("the expert would carry more assignments than it can take at once"),
    "seats": N_("the request has no seat left"),
    "language": N_("the expert does not speak a language the request needs"),
    "panel_independence": N_("the expert works for the same organisation as another member "
                             "of the panel"),
    "pinned": N_("a seat confirmed earlier would be lost"),
    "one_procedure": N_("the expert serves another stage (first instance, appeal or retrial) "
                        "of the same dispute"),
}


class RuleBroken(DomainError):
    """A coordinator's choice that breaks one of the 13 rules (422): the rule in words."""

    def __init__(self, rule: str, detail: str):
        super().__init__(N_("rule “{rule}” forbids it: {explanation}"), field="expert_id",
                         rule=rule, explanation=RULE_EXPLANATIONS.get(rule, rule))
        self.rule, self.detail = rule, detail


def check_override(request: DispatchRequest, expert: Expert, *,
                   replacing: Assignment | None = None, run: SolverRun | None = None,
                   as_of: date | None = None) -> list[RuleBroken]:
    """The rules broken by putting `expert` on `request` in place of `replacing` ([] when
    none), judged by the scheduler's verify against the current proposal and today's registry.

    With a run holding the request, the whole proposal of the run's requests is verified with
    the change (so double booking and workload count the expert's other proposals); without
    one, the request's held seats plus the new pair, as for a hand pick.
    """
    as_of = as_of or date.today()
    if why := problem_export.barred(expert, as_of):
        return [RuleBroken("appointment", f"expert {expert.id} {why}")]
    if not request.is_open:
        raise DomainError("request {request_id} is {status}, not open", field="request_id",
                          request_id=request.id, status=request.status.value)
    mine = {"request": str(request.id), "expert": str(expert.id)}
    if not _covers(run, request):
        problem, pairs = problem_export.hand_pick_problem(request, expert, as_of)
    else:
        requests = plan_import.problem_requests(run.problem)
        pairs = _active_pairs(requests, leaving_out=replacing) + [mine]
        problem = plan_import.current_problem(run.problem, requests,
                                              [(p["request"], p["expert"]) for p in pairs])
    try:
        violations = scheduler.verify(scheduler.load_problem(problem), {"assignments": pairs})
    except scheduler.ProblemError as error:
        return [RuleBroken("reference", listing(list(error.errors)))]
    return [RuleBroken(v.key, v.message) for v in violations
            if v.expert == mine["expert"] and v.request in (mine["request"], None)
            or v.request == mine["request"] and v.rule in SEAT_RULES]


# seats, panel independence: broken on the request by the new pair
SEAT_RULES = {rules.number_of("seats"), rules.number_of("panel_independence")}


def _covers(run: SolverRun | None, request: DispatchRequest) -> bool:
    """Whether the run's problem holds the request (so its proposal is the context)."""
    return run is not None and run.problem is not None and any(
        item["id"] == str(request.id) for item in run.problem["requests"])


def _active_pairs(requests: list[DispatchRequest],
                  leaving_out: Assignment | None = None) -> list[dict]:
    """The current proposal of these requests: every seat proposed, confirmed or accepted."""
    return [{"request": str(a.request_id), "expert": str(a.expert_id)}
            for r in requests for a in r.assignments if a.is_active and a is not leaving_out]


@dataclass(frozen=True)
class Candidate:
    """An expert the coordinator could put on a request, as the solver values the pair."""

    expert: Expert
    value: int  # the solver's own objective coefficient: compare within one list only
    fit: int
    distance_km: float
    facts: dict  # field match, cities, load after, capacity (as on plan assignments)
    clashes: tuple[dict, ...]  # rules the pair breaks against the current proposal


def candidates(request: DispatchRequest, run: SolverRun | None = None, limit: int = 10,
               as_of: date | None = None) -> list[Candidate]:
    """The request's best alternatives, best first, against its current proposal: from the
    run's problem when the run covers the request, else from a one-request problem of today's
    registry. Each says what it would break if added as things stand (clashes)."""
    if _covers(run, request):
        document, requests = run.problem, plan_import.problem_requests(run.problem)
    else:
        document = problem_export.request_problem(request, as_of or date.today())
        requests = [request]
    # Unpinned: the candidates ignore pins (the current pairs say who holds a seat), and a held
    # seat flagged since (docs/flags.md) would make the problem invalid (rule 13).
    found = scheduler.candidates(scheduler.load_problem(dict(document, pinned=[])),
                                 _active_pairs(requests), str(request.id), limit)
    experts = {e.id: e for e in problem_export.load_rows(
        Expert, problem_export.expert_options(), [int(c.expert) for c in found])}
    return [Candidate(experts[int(c.expert)], c.value, c.fit, c.distance_km, c.facts,
                      c.clashes) for c in found if int(c.expert) in experts]


class SolveCancelled(Exception):
    """The run was cancelled while the solver worked: there is no plan."""


def solve_run(run: SolverRun, *, progress: Callable[[dict], None] | None = None,
              actor=None, seed: int = 0) -> str:
    """Solve a queued (or already started) run's problem with its time limit and weights and
    store the plan as its proposals; return a one-line summary.

    The run ends done, or failed with the reason (an invalid problem, or a plan the registry
    refuses because it moved meanwhile; then no proposal is written). `progress` receives the
    solver's reports. No commit here: the caller commits after, or rolls back.
    """
    started = time.monotonic()
    if run.status is SolverRunStatus.QUEUED:
        run.start()
    try:
        plan = solve_plan(run, progress=progress, seed=seed, started=started)
        return import_plan(plan, run_id=run.id, actor=actor)
    except DomainError as error:
        run.fail(error.message)
        return f"Solver run {run.id} failed: {run.error}"


def solve_plan(run: SolverRun, *, progress: Callable[[dict], None] | None = None,
               stop: Callable[[], bool] | None = None, seed: int = 0,
               started: float | None = None) -> dict:
    """The dispatch-plan/1 document answering the run's problem, solved with the run's own
    time limit and weights (counted from `started`, a time.monotonic() reading; default now).

    A run in "replan" mode whose problem names a previous proposal is re-planned from it
    (scheduler.replan: the proposal kept where the rules allow, only what changed is
    solved again); with no proposal to keep it is solved whole.

    Writes nothing. Raises DomainError when the problem is invalid, SolveCancelled when
    `stop` turned true (the solver polls it at each phase and callback).
    """
    run.check_move_to(SolverRunStatus.DONE)  # a finished run is not solved again
    try:
        problem = scheduler.load_problem(_problem_to_solve(run))
    except scheduler.ProblemError as error:
        raise DomainError("the problem is invalid: {problems}", field="problem",
                          problems=listing(list(error.errors))) from error
    replans = run.parameters.get("mode") == "replan" and bool(problem.previous)
    solve = scheduler.replan if replans else scheduler.solve
    try:
        plan = solve(problem, time_limit_s=time_limit_of(run), seed=seed, progress=progress,
                     stop=stop, started=started)
    except scheduler.Cancelled as cancelled:
        raise SolveCancelled(run.id) from cancelled
    return plan.to_dict()


def time_limit_of(run: SolverRun) -> float:
    """The run's time limit in seconds: its own, else the export's default."""
    return problem_export.settings(run.parameters)["time_limit_s"]


def _problem_to_solve(run: SolverRun) -> dict:
    """The run's problem with the run's own time limit and weights as its settings."""
    return dict(run.problem, settings=problem_export.settings(run.parameters))
