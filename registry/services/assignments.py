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
    User,
)
from registry.services import permissions as may
from registry.services.audit import record
from registry.services.dispatch import check_manual_assignment


def _audited(assignment: Assignment, actor: User, action: str, change) -> Assignment:
    before = {"status": assignment.status.value, "request": assignment.request.status.value}
    change()
    record(actor, action, "assignment", assignment.id, before=before,
           after={"status": assignment.status.value,
                  "request": assignment.request.status.value})
    return assignment


def confirm(assignment: Assignment, actor: User) -> Assignment:
    """Confirm a proposal once the 13 rules still hold for it in today's registry.

    Much may have moved since the solver proposed it: a conflict declared, a challenge upheld,
    the same days confirmed elsewhere, another stage of the dispute served.
    """
    may.allow(may.can_confirm(actor, assignment), "only coordinators of the case's region")
    assignment.check_move_to(AssignmentStatus.CONFIRMED)
    if objections := check_manual_assignment(assignment.request, assignment.expert):
        raise DomainError("cannot confirm: {objections}", field="expert_id",
                          objections="; ".join(objections))
    assignment.coordinator_id = assignment.coordinator_id or actor.id
    return _audited(assignment, actor, "confirm", assignment.confirm)


def accept(assignment: Assignment, actor: User) -> Assignment:
    may.allow(may.can_respond(actor, assignment), "only the assigned expert")
    return _audited(assignment, actor, "accept", assignment.accept)


def decline(assignment: Assignment, reason: str, actor: User) -> Assignment:
    """Decline, and keep the expert off this request when the solver runs again."""
    may.allow(may.can_respond(actor, assignment), "only the assigned expert")
    _audited(assignment, actor, "decline", lambda: assignment.decline(reason))
    request = assignment.request
    if assignment.expert_id not in request.excluded_expert_ids():
        request.exclusions.append(Exclusion(expert_id=assignment.expert_id,
                                            reason=ExclusionReason.DECLINED, note=reason))
    return assignment


def assign_by_hand(request: DispatchRequest, expert: Expert, note: str,
                   actor: User) -> Assignment:
    """A coordinator's own choice, confirmed at once if the 13 rules hold for it.

    Proposals that the choice crowds out of the request's seats are withdrawn.
    """
    may.allow(may.can_dispatch(actor, request), "only coordinators of the case's region")
    if any(a.expert_id == expert.id for a in request.assignments):
        raise DomainError("expert {expert_id} already has an assignment on request "
                          "{request_id}", field="expert_id",
                          expert_id=expert.id, request_id=request.id)
    active = [a for a in request.assignments if a.is_active]
    proposals = [a for a in active if a.status is AssignmentStatus.PROPOSED]
    for crowded_out in proposals[:max(0, len(active) + 1 - request.seats)]:
        crowded_out.move_to(AssignmentStatus.WITHDRAWN)
    why = "chosen by hand by the coordinator" + (f": {note}" if note else "")
    assignment = Assignment(request=request, expert=expert, coordinator_id=actor.id,
                            reasons=[why])
    db.session.add(assignment)
    return confirm(assignment, actor)
