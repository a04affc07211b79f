"""The assignment lifecycle: coordinators confirm proposals, experts accept or decline them."""

from registry.models import Assignment, Exclusion, ExclusionReason, User
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
