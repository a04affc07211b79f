"""The assignment lifecycle: coordinators confirm proposals, experts accept or decline them."""

from registry.extensions import db
from registry.models import (
    Assignment,
    AssignmentStatus,
    DispatchRequest,
    DomainError,
    Exclusion,
    ExclusionReason,
    Expert,
    SolverRun,
    User,
    sync_request_status,
)
from registry.services import disclosures, notifications, recusals
from registry.services import permissions as may
from registry.services.audit import record
from registry.services.dispatch import (
    check_manual_assignment,
    check_override,
    confirmable_together,
)
from registry.services.locks import hold
from registry.services.proposals import run_assignments


def _audited(assignment: Assignment, actor: User, action: str, change, **why) -> Assignment:
    before = {"status": assignment.status.value, "request": assignment.request.status.value}
    change()
    db.session.flush()  # the event names the assignment's id, new or not
    record(actor, action, "assignment", assignment.id, before=before,
           after={"status": assignment.status.value,
                  "request": assignment.request.status.value, **why})
    return assignment


def _hold(assignment: Assignment) -> None:
    """Every move of an assignment holds its request (seats, the request's lifecycle) and its
    expert (double booking, workload) first (services/locks.py)."""
    hold(requests=[assignment.request], experts=[assignment.expert])


def withdraw(assignment: Assignment, actor: User | None, because: str) -> None:
    """A proposal leaves its seat (crowded out, replaced): an event of its own."""
    _audited(assignment, actor, "withdraw",
             lambda: assignment.move_to(AssignmentStatus.WITHDRAWN), because=because)


def confirm(assignment: Assignment, actor: User, action: str = "confirm",
            seen: int | None = None, rules_cleared: bool = False) -> Assignment:
    """Confirm a proposal once the 13 rules still hold for it in today's registry.

    Much may have moved since the solver proposed it: a conflict declared, a challenge upheld,
    the same days confirmed elsewhere, another stage of the dispute served. The check runs
    while the request and the expert are held, so no other write can change its answer.
    `rules_cleared`: the caller has checked the rules for it, under the same hold, together
    with everything it confirms in this transaction (dispatch.confirmable_together).
    """
    _hold(assignment)
    may.allow(may.can_confirm(actor, assignment), "only coordinators of the case's region")
    assignment.check_version(seen)
    assignment.check_move_to(AssignmentStatus.CONFIRMED)
    disclosures.check_cleared(assignment.request, assignment.expert)  # IBA lists (issue 9)
    recusals.refuse_if_barred(assignment.request, assignment.expert)
    if not rules_cleared and (
            objections := check_manual_assignment(assignment.request, assignment.expert)):
        raise DomainError("cannot confirm: {objections}", field="expert_id",
                          objections="; ".join(objections))
    assignment.coordinator_id = assignment.coordinator_id or actor.id
    _audited(assignment, actor, action, assignment.confirm)
    recusals.notice_due(assignment)  # SPC 2019 Art. 3: the parties are told within 3 days
    notifications.assignment_confirmed(assignment)  # mailed once the transaction commits
    return assignment


def accept(assignment: Assignment, actor: User, seen: int | None = None) -> Assignment:
    """`seen`: the version the expert saw, when the call says (accept and decline buttons
    do): then the move is made only from that version."""
    _hold(assignment)
    may.allow(may.can_respond(actor, assignment), "only the assigned expert")
    assignment.check_version(seen)
    # A seat held when the expert recused, or was challenged, stays (flagged for the
    # coordinator) but may not be taken up.
    recusals.refuse_if_barred(assignment.request, assignment.expert)
    return _audited(assignment, actor, "accept", assignment.accept)


def decline(assignment: Assignment, reason: str, actor: User,
            seen: int | None = None, whole_case: bool = False) -> Assignment:
    """Decline, and keep the expert off this request when the solver runs again; with
    `whole_case`, the reason is a ground for withdrawal (自行回避) and the expert recuses from
    every request of the case, so another request of it cannot be confirmed either."""
    if whole_case:
        # The recusal holds every request of the case. Held here, before the expert, in the
        # one order (services/locks.py: requests, then experts): holding the expert first
        # and the case's other requests later could deadlock with a writer that holds one
        # of those requests and waits for the expert (a hand pick, a confirmation).
        hold(requests=assignment.request.case.requests, experts=[assignment.expert])
    _hold(assignment)
    may.allow(may.can_respond(actor, assignment), "only the assigned expert")
    assignment.check_version(seen)
    _audited(assignment, actor, "decline", lambda: assignment.decline(reason))
    request = assignment.request
    if assignment.expert_id not in request.excluded_expert_ids():
        request.exclusions.append(Exclusion(expert_id=assignment.expert_id,
                                            reason=ExclusionReason.DECLINED, note=reason))
    if whole_case:
        recusals.recuse(request.case, assignment.expert, reason, actor, prefer=request)
    return assignment


def assign_by_hand(request: DispatchRequest, expert: Expert, note: str,
                   actor: User) -> Assignment:
    """A coordinator's own choice, confirmed at once if the 13 rules hold for it.

    Proposals that the choice crowds out of the request's seats are withdrawn.
    """
    hold(requests=[request], experts=[expert])
    may.allow(may.can_dispatch(actor, request), "only coordinators of the case's region")
    if any(a.expert_id == expert.id for a in request.assignments):
        raise DomainError("expert {expert_id} already has an assignment on request "
                          "{request_id}", field="expert_id",
                          expert_id=expert.id, request_id=request.id)
    active = [a for a in request.assignments if a.is_active]
    proposals = [a for a in active if a.status is AssignmentStatus.PROPOSED]
    for crowded_out in proposals[:max(0, len(active) + 1 - request.seats)]:
        withdraw(crowded_out, actor, because="crowded_out")
    why = "chosen by hand by the coordinator" + (f": {note}" if note else "")
    assignment = Assignment(request=request, expert=expert, coordinator_id=actor.id,
                            reasons=[why])
    db.session.add(assignment)
    return confirm(assignment, actor, action="hand_pick")


def confirm_run(run: SolverRun, actor: User) -> dict:
    """Confirm every proposal of the run that still holds, in the caller's one transaction.

    Each confirmation is checked against the registry as it stands after the ones before it
    (a savepoint each: a refused one leaves nothing behind), so two proposals that now
    collide cannot both be confirmed. Returns {"confirmed": [...], "refused": [(assignment,
    DomainError)]}.
    """
    may.allow(may.can_act_in_region(actor, run.region), "only coordinators of the region")
    proposals = run_assignments(run)
    # All at once, in the one order every holder uses: holding them one by one while other
    # writers do the same could deadlock.
    hold(requests=[a.request for a in proposals], experts=[a.expert for a in proposals])
    proposals = run_assignments(run)  # read again under the hold
    cleared = confirmable_together(proposals)  # then one rule check for all, not one each
    confirmed, refused = [], []
    for assignment in proposals:
        try:
            with db.session.begin_nested():
                confirm(assignment, actor, rules_cleared=cleared)
            confirmed.append(assignment)
        except DomainError as error:
            refused.append((assignment, error))
    record(actor, "solver_run.confirm_all", "solver_run", run.id, after={
        "confirmed": [a.id for a in confirmed],
        "refused": {str(a.id): error.message for a, error in refused}})
    return {"confirmed": confirmed, "refused": refused}


def use_expert(request: DispatchRequest, expert: Expert, actor: User, *,
               replacing: Assignment | None = None, run: SolverRun | None = None) -> Assignment:
    """Make the coordinator's choice a proposal on the request, in place of `replacing` (a
    proposal there) when the seats are full.

    The choice is verified by the scheduler against the current proposal of the run's
    requests and today's registry; when it breaks a rule, DomainError names the rule and
    nothing changes.
    """
    hold(requests=[request], experts=[expert] + ([replacing.expert] if replacing else []))
    may.allow(may.can_dispatch(actor, request), "only coordinators of the case's region")
    existing = next((a for a in request.assignments if a.expert_id == expert.id), None)
    if existing is not None and existing.status is not AssignmentStatus.WITHDRAWN:
        raise DomainError("expert {expert_id} already has an assignment on request "
                          "{request_id}", field="expert_id",
                          expert_id=expert.id, request_id=request.id)
    if replacing is not None and (replacing.request_id != request.id
                                  or replacing.status is not AssignmentStatus.PROPOSED):
        raise DomainError("only a proposal on this request can be replaced",
                          field="replacing_id")
    recusals.refuse_if_barred(request, expert)
    active = [a for a in request.assignments if a.is_active and a is not replacing]
    if len(active) >= request.seats:
        raise DomainError("the request's seats are all taken: choose the proposal this "
                          "expert replaces", field="replacing_id")
    if broken := check_override(request, expert, replacing=replacing, run=run):
        raise broken[0]
    if replacing is not None:
        withdraw(replacing, actor, because="replaced")
    why = ["chosen by the coordinator in place of the solver's proposal"]
    if existing is None:
        existing = Assignment(request=request, expert=expert, coordinator_id=actor.id,
                              solver_run=run, reasons=why)
        db.session.add(existing)
    else:  # the pair is unique: a withdrawn proposal of this expert is revived
        existing.move_to(AssignmentStatus.PROPOSED)
        existing.coordinator_id, existing.solver_run, existing.reasons = actor.id, run, why
    sync_request_status(request)
    db.session.flush()
    record(actor, "assignment.override", "assignment", existing.id, after={
        "request": request.id, "expert": expert.id,
        "replacing": replacing.id if replacing else None})
    return existing
