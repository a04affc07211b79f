"""The registry's half of importing a dispatch-plan/1 document: its shape, which run it
answers, whether the registry moved since the export, and writing it as proposals
(docs/dispatch.md lists the checks). The 13 rules themselves are judged by the scheduler,
through registry/services/dispatch.py, the one module that talks to it.
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
    SolverRun,
    SolverRunStatus,
    sync_request_status,
)
from registry.services import audit
from registry.services.problem_export import (
    HELD_STATUSES,
    barred,
    expert_options,
    holders_problem,
    load_rows,
    request_options,
)

PLAN_FORMAT = "dispatch-plan/1"
PLAN_STATUSES = ("optimal", "feasible")
MAX_LISTED = 20


def store_plan(run: SolverRun, requests: list[DispatchRequest], plan: dict, actor=None) -> str:
    """Write a checked plan as proposals of its run, mark the run done; return a summary."""
    counts = write_proposals(run, requests, plan)
    if run.status is SolverRunStatus.QUEUED:  # solved outside the registry (the CLI path)
        run.start()
    run.plan = plan
    run.finish(plan.get("metrics") or {}, plan.get("solver") or {})
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
    """The run named, or the latest queued run with a stored problem; it must be able to take
    a plan (queued or running: a done, failed or cancelled run is final)."""
    if run_id is not None:
        run = db.session.get(SolverRun, run_id)
        if run is None or run.problem is None:
            raise DomainError("solver run {run_id} has no exported problem", field="run",
                              run_id=run_id)
        run.check_move_to(SolverRunStatus.DONE if run.status is SolverRunStatus.RUNNING
                          else SolverRunStatus.RUNNING)
        return run
    run = db.session.scalars(select(SolverRun)
                             .where(SolverRun.problem.is_not(None),
                                    SolverRun.status == SolverRunStatus.QUEUED)
                             .order_by(SolverRun.id.desc()).limit(1)).first()
    if run is None:
        raise DomainError("no exported problem is waiting for a plan; run export-problem first",
                          field="run")
    return run


def problem_requests(problem: dict) -> list[DispatchRequest]:
    """The problem's requests as they are in the registry now."""
    ids = [int(r["id"]) for r in problem["requests"]]
    return load_rows(DispatchRequest, request_options(), ids)


def registry_changes(problem: dict, requests: list[DispatchRequest], pairs) -> list[str]:
    """What moved since the export that no rule check needs: requests gone or closed, planned
    experts barred since."""
    as_of = date.fromisoformat(problem["as_of"])
    changes = []
    wanted = {int(r["id"]) for r in problem["requests"]}
    found = {r.id: r for r in requests}
    changes += [f"request {rid} no longer exists" for rid in sorted(wanted - found.keys())]
    changes += [f"request {r.id} is {r.status.value}, no longer open"
                for r in requests if not r.is_open]
    experts = load_rows(Expert, expert_options(), sorted(planned_experts(pairs)))
    changes += [f"expert {expert.id} {why}" for expert in experts
                if (why := barred(expert, as_of))]
    return changes


def current_problem(problem: dict, requests: list[DispatchRequest], pairs) -> dict:
    """The problem rebuilt from today's registry for the same requests, the planned experts
    and the experts now holding seats, so the plan can be verified against it again.

    Held seats of experts barred since are left out, exactly as the export does.
    """
    return holders_problem(requests, planned_experts(pairs),
                           date.fromisoformat(problem["as_of"]))


def planned_experts(pairs) -> set[int]:
    return {int(e) for _, e in pairs if e.isdigit()}


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
