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


def _audited(assignment: Assignment, actor: User, action: str, change) -> Assignment:
    before = {"status": assignment.status.value, "request": assignment.request.status.value}
    change()
    record(actor, action, "assignment", assignment.id, before=before,
           after={"status": assignment.status.value,
                  "request": assignment.request.status.value})
    return assignment


def confirm(assignment: Assignment, actor: User) -> Assignment:
    may.allow(may.can_confirm(actor, assignment), "only coordinators of the case's region")
    assignment.coordinator_id = actor.id
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
    """A coordinator's own choice, checked against the solver's hard rules, then confirmed.

    Proposals that the choice crowds out of the request's seats are withdrawn.
    """
    from registry.services.plan_import import check_manual_assignment

    may.allow(may.can_dispatch(actor, request), "only coordinators of the case's region")
    if any(a.expert_id == expert.id for a in request.assignments):
        raise DomainError(f"expert {expert.id} already has an assignment on request "
                          f"{request.id}", field="expert_id")
    if objections := check_manual_assignment(request, expert):
        raise DomainError("; ".join(objections), field="expert_id")
    active = [a for a in request.assignments if a.is_active]
    proposals = [a for a in active if a.status is AssignmentStatus.PROPOSED]
    for crowded_out in proposals[:max(0, len(active) + 1 - request.seats)]:
        crowded_out.move_to(AssignmentStatus.WITHDRAWN)
    why = f"chosen by coordinator {actor.email}" + (f": {note}" if note else "")
    assignment = Assignment(request=request, expert=expert, coordinator_id=actor.id,
                            reasons=[why])
    db.session.add(assignment)
    return confirm(assignment, actor)
