"""Check a dispatch-plan/1 document against its problem and the registry, then store it as
proposals (docs/dispatch.md lists the checks). Nothing is written unless every check passes.
"""

from datetime import date

from sqlalchemy import select

from registry.extensions import db
from registry.models import (
    Assignment,
    AssignmentStatus,
    DispatchRequest,
    DomainError,
    Expert,
    ExpertStatus,
    SolverRun,
    SolverRunStatus,
    sync_request_status,
    utcnow,
)
from registry.services import audit
from registry.services.problem_export import (
    HELD_STATUSES,
    agreements_in_force,
    expert_options,
    problem_document,
    request_options,
)
from scheduler import ProblemError, load_problem, verify

PLAN_FORMAT = "dispatch-plan/1"
PLAN_STATUSES = ("optimal", "feasible")
MAX_LISTED = 20


def import_plan(plan: dict, run_id: int | None = None, actor=None) -> str:
    """Store a verified plan as proposals of its solver run; return a one-line summary.

    Raises DomainError, naming every offending item, when the plan is malformed, breaks a
    hard rule, or no longer fits the registry; then nothing is written. No commit here.
    """
    pairs = check_structure(plan)
    run = find_run(run_id)
    problem = run.parameters["problem"]
    as_of = date.fromisoformat(problem["as_of"])
    if problems := verify_document(problem, plan):
        raise DomainError("the plan breaks the hard rules: {problems}", field="plan",
                          problems=listing(problems))
    request_ids = [int(r["id"]) for r in problem["requests"]]
    requests = _load(DispatchRequest, request_options(), request_ids)
    changes = registry_changes(problem, plan, requests, pairs, as_of)
    if changes:
        raise DomainError("the registry changed since the export: {problems}", field="plan",
                          problems=listing(changes))
    counts = write_proposals(run, requests, plan)
    run.status = SolverRunStatus.DONE
    run.progress = 1.0
    run.finished_at = utcnow()
    run.metrics = dict(plan.get("metrics") or {})
    run.timings = dict(plan.get("solver") or {})
    run.parameters = {**run.parameters, "plan_imported": True, "plan": plan}
    audit.record(actor, "solver_run.import", "solver_run", run.id, after=counts)
    return (f"Solver run {run.id}: {counts['proposed']} new proposal(s), {counts['kept']} kept, "
            f"{counts['withdrawn']} withdrawn, {counts['pinned']} pinned; "
            f"{len(plan.get('unfilled') or [])} request(s) not fully filled")


def listing(problems: list[str]) -> str:
    """The first MAX_LISTED problems joined with "; ", and how many more there are."""
    more = f"; and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
    return "; ".join(problems[:MAX_LISTED]) + more


# -- checks ------------------------------------------------------------------------------------

def check_structure(plan) -> list[tuple[str, str]]:
    """Check the plan's shape; return its (request, expert) pairs."""
    if not isinstance(plan, dict):
        raise DomainError("a plan must be a JSON object", field="plan")
    if plan.get("format") != PLAN_FORMAT:
        raise DomainError("expected format {expected!r}, got {given!r}", field="format",
                          expected=PLAN_FORMAT, given=plan.get("format"))
    status = plan.get("status")
    if status == "invalid":
        raise DomainError("the solver rejected the problem: {reasons}", field="status",
                          reasons="; ".join(map(str, plan.get("errors") or ["no reason given"])))
    if status not in PLAN_STATUSES:
        raise DomainError("status must be one of {statuses}, got {status!r}", field="status",
                          statuses=", ".join(PLAN_STATUSES), status=status)
    assignments = plan.get("assignments")
    if not isinstance(assignments, list):
        raise DomainError("assignments must be a list", field="assignments")
    errors, pairs = [], []
    for k, item in enumerate(assignments):
        if not isinstance(item, dict):
            errors.append(f"assignments[{k}] must be an object {{request, expert}}")
            continue
        bad = [key for key in ("request", "expert")
               if not isinstance(item.get(key), str) or not item[key]]
        reasons = item.get("reasons", [])
        if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
            bad.append("reasons")
        if bad:
            errors.append(f"assignments[{k}]: {' and '.join(bad)} malformed")
        else:
            pairs.append((item["request"], item["expert"]))
    for key in ("metrics", "solver"):
        if not isinstance(plan.get(key, {}), dict):
            errors.append(f"{key} must be an object")
    if errors:
        raise DomainError("the plan is malformed: {problems}", field="plan",
                          problems=listing(errors))
    return pairs


def find_run(run_id: int | None) -> SolverRun:
    """The run named, or the latest run with a stored problem and no imported plan."""
    if run_id is not None:
        run = db.session.get(SolverRun, run_id)
        if run is None or "problem" not in (run.parameters or {}):
            raise DomainError("solver run {run_id} has no exported problem", field="run",
                              run_id=run_id)
        return run
    for run in db.session.scalars(select(SolverRun).order_by(SolverRun.id.desc())):
        parameters = run.parameters or {}
        if "problem" in parameters and not parameters.get("plan_imported"):
            return run
    raise DomainError("no exported problem is waiting for a plan; run export-problem first",
                      field="run")


def verify_document(problem: dict, plan: dict) -> list[str]:
    """Every violation of the 13 rules by the plan, or why the problem itself is invalid."""
    try:
        loaded = load_problem(problem)
    except ProblemError as error:
        return list(error.errors)
    return [str(violation) for violation in verify(loaded, plan)]


def _load(model, options, ids: list[int]) -> list:
    rows = db.session.scalars(select(model).where(model.id.in_(ids)).options(*options)
                              .order_by(model.id))
    return list(rows)


def registry_changes(problem: dict, plan: dict, requests: list[DispatchRequest], pairs,
                     as_of: date) -> list[str]:
    """What moved since the export: closed requests, barred experts, and any rule the plan now
    breaks once the problem is rebuilt from today's registry for the same requests."""
    changes = []
    wanted = {int(r["id"]) for r in problem["requests"]}
    found = {r.id: r for r in requests}
    changes += [f"request {rid} no longer exists" for rid in sorted(wanted - found.keys())]
    changes += [f"request {r.id} is {r.status.value}, no longer open"
                for r in requests if not r.is_open]
    held = {a.expert_id for r in requests for a in r.assignments if a.status in HELD_STATUSES}
    expert_ids = {int(e) for _, e in pairs if e.isdigit()} | held
    experts = _load(Expert, expert_options(), sorted(expert_ids))
    barred = {expert.id: why for expert in experts if (why := _barred(expert, as_of))}
    planned = {int(e) for _, e in pairs if e.isdigit()}
    changes += [f"expert {eid} {why}" for eid, why in sorted(barred.items()) if eid in planned]
    if changes:
        return changes
    # Held seats of experts barred since are left out, exactly as the export does.
    eligible = [expert.id for expert in experts if expert.id not in barred]
    current = problem_document(requests, eligible, as_of, agreements_in_force(as_of))
    return verify_document(current, plan)


def _barred(expert: Expert, as_of: date) -> str:
    if expert.status is not ExpertStatus.ACTIVE:
        return f"is {expert.status.value}"
    if expert.disqualifying_records(as_of) or expert.disqualifying_records(date.today()):
        return "has a serious or suspending credit record"
    return ""


# -- writing -----------------------------------------------------------------------------------

def write_proposals(run: SolverRun, requests: list[DispatchRequest], plan: dict) -> dict:
    """Withdraw superseded proposals, add or refresh planned ones, update request statuses."""
    reasons = {(a["request"], a["expert"]): list(a.get("reasons") or [])
               for a in plan["assignments"]}
    counts = {"proposed": 0, "kept": 0, "withdrawn": 0, "pinned": 0}
    for request in requests:
        planned = {int(e) for (r, e) in reasons if r == str(request.id)}
        existing = {a.expert_id: a for a in request.assignments}
        for expert_id, assignment in existing.items():
            if assignment.status is AssignmentStatus.PROPOSED and expert_id not in planned:
                assignment.move_to(AssignmentStatus.WITHDRAWN)
                counts["withdrawn"] += 1
        for expert_id in sorted(planned):
            why = reasons[str(request.id), str(expert_id)]
            counts[_propose(run, request, existing.get(expert_id), expert_id, why)] += 1
        sync_request_status(request)
    return counts


def _propose(run, request, assignment: Assignment | None, expert_id: int, why) -> str:
    if assignment is None:
        db.session.add(Assignment(request=request, expert_id=expert_id, solver_run=run,
                                  reasons=why, status=AssignmentStatus.PROPOSED))
        return "proposed"
    if assignment.status in HELD_STATUSES:
        return "pinned"
    if assignment.status is AssignmentStatus.WITHDRAWN:
        # The pair is unique, so a proposal superseded by an earlier run is revived in place.
        assignment.move_to(AssignmentStatus.PROPOSED)
        assignment.solver_run, assignment.reasons = run, why
        return "proposed"
    if assignment.status is not AssignmentStatus.PROPOSED:  # excluded at export: unreachable
        raise DomainError("expert {expert_id} is {status} on request {request_id}",
                          field="plan", expert_id=expert_id, status=assignment.status.value,
                          request_id=request.id)
    assignment.solver_run, assignment.reasons = run, why
    return "kept"


# -- manual overrides --------------------------------------------------------------------------

def check_manual_assignment(request: DispatchRequest, expert: Expert,
                            as_of: date | None = None) -> list[str]:
    """Why putting this expert on this request would break a hard rule ([] when it would not).

    Builds a one-request problem from today's registry and verifies the request's held seats
    plus the new pair, so a coordinator's choice is judged by the solver's own rules.
    """
    as_of = as_of or date.today()
    if why := _barred(expert, as_of):
        return [f"expert {expert.id} {why}"]
    if not request.is_open:
        return [f"request {request.id} is {request.status.value}, not open"]
    held = _load(Expert, expert_options(), sorted(
        {a.expert_id for a in request.assignments if a.status in HELD_STATUSES}))
    experts = {expert.id} | {e.id for e in held if not _barred(e, as_of)}
    problem = problem_document([request], sorted(experts), as_of, agreements_in_force(as_of))
    pair = {"request": str(request.id), "expert": str(expert.id)}
    pairs = problem["pinned"] + ([] if pair in problem["pinned"] else [pair])
    return verify_document(problem, {"assignments": pairs})
