"""/api/v1/assignments: proposals, confirmations, acceptances and declines."""

from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from registry.api.auth import api_user
from registry.extensions import db
from registry.models import Assignment, UserRole
from registry.schemas.assignments import (
    AssignmentArgs,
    AssignmentPageSchema,
    AssignmentSchema,
    DeclineSchema,
    ManualAssignmentSchema,
    MoveSchema,
)
from registry.services import access, case_queries
from registry.services import assignments as service
from registry.services import permissions as may
from registry.services.listing import page_of

bp = Blueprint("assignments", __name__, url_prefix="/api/v1/assignments",
               description="Who serves on which request, and where each stands.")


def dump_assignments(user, payload):
    """An assignment, or a page of them, as this user may read it (access.assignment_views)."""
    one, page = access.assignment_views(user)
    return jsonify((page if isinstance(payload, dict) else one).dump(payload))


def assignment_in_scope(assignment_id: int):
    user = api_user()
    return user, access.assignment_for(user, assignment_id, load=case_queries.ASSIGNMENT_ITEM)


@bp.route("")
class AssignmentList(MethodView):
    @bp.arguments(AssignmentArgs, location="query")
    @bp.response(200, AssignmentPageSchema)
    def get(self, args):
        """List assignments in your scope (an expert sees its own)."""
        user = api_user()
        query = may.scope_assignments(select(Assignment), user)
        for key in ("status", "request_id", "expert_id"):
            if args.get(key) is not None:
                query = query.where(getattr(Assignment, key) == args[key])
        return dump_assignments(user, page_of(query.options(*case_queries.ASSIGNMENT_DUMP)
                                              .order_by(Assignment.id.desc()), args))

    @bp.arguments(ManualAssignmentSchema)
    @bp.response(201, AssignmentSchema)
    def post(self, data):
        """Put an expert on a request by hand (coordinators): checked against the 13 rules."""
        user = api_user()
        may.allow(user.role in (UserRole.COORDINATOR, UserRole.ADMIN), "only coordinators")
        request = access.request_for(user, data["request_id"])
        expert = access.expert_for_request(user, request, data["expert_id"])
        assignment = service.assign_by_hand(request, expert, data["note"], user)
        db.session.commit()
        return assignment


@bp.route("/<int:assignment_id>")
class AssignmentItem(MethodView):
    @bp.response(200, AssignmentSchema)
    def get(self, assignment_id):
        """Read one assignment (a filing body's clerks without the solver's reasons)."""
        return dump_assignments(*assignment_in_scope(assignment_id))


@bp.route("/<int:assignment_id>/confirm")
class AssignmentConfirm(MethodView):
    @bp.arguments(MoveSchema)
    @bp.response(200, AssignmentSchema)
    def post(self, data, assignment_id):
        """Confirm a proposal (coordinators of the case's region)."""
        user, assignment = assignment_in_scope(assignment_id)
        service.confirm(assignment, user, seen=data["version"])
        db.session.commit()
        return assignment


@bp.route("/<int:assignment_id>/accept")
class AssignmentAccept(MethodView):
    @bp.arguments(MoveSchema)
    @bp.response(200, AssignmentSchema)
    def post(self, data, assignment_id):
        """Accept confirmed work (the assigned expert)."""
        user, assignment = assignment_in_scope(assignment_id)
        service.accept(assignment, user, seen=data["version"])
        db.session.commit()
        return assignment


@bp.route("/<int:assignment_id>/decline")
class AssignmentDecline(MethodView):
    @bp.arguments(DeclineSchema)
    @bp.response(200, AssignmentSchema)
    def post(self, data, assignment_id):
        """Decline work, with a reason (the assigned expert)."""
        user, assignment = assignment_in_scope(assignment_id)
        service.decline(assignment, data["reason"], user, seen=data["version"],
                        whole_case=data["whole_case"])
        db.session.commit()
        return assignment
