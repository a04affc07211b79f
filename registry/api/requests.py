"""/api/v1/requests: requests for an investigator or a tribunal of arbitrators."""

from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from registry.api.auth import api_user
from registry.api.common import get_or_404, page_of
from registry.extensions import db
from registry.models import DispatchRequest, UserRole
from registry.schemas.cases import ExclusionSchema, RequestArgs, RequestPageSchema, RequestSchema
from registry.services import cases as service
from registry.services import permissions as may

bp = Blueprint("requests", __name__, url_prefix="/api/v1/requests",
               description="Dispatch requests and their lifecycle.")


# An expert sees the request it works on, not who else was excluded or declined, and why.
expert_view = RequestSchema(exclude=("exclusions", "assignments"))


def dump_requests(user, payload):
    """Dump a request, or a page of them, in the shape this user may see."""
    schema = expert_view if user.role is UserRole.EXPERT else RequestSchema()
    if isinstance(payload, dict):
        return jsonify(dict(payload, items=schema.dump(payload["items"], many=True)))
    return jsonify(schema.dump(payload))


def request_in_scope(request_id: int, *, to_change: bool = False):
    user = api_user()
    request = get_or_404(DispatchRequest, request_id, "request")
    may.allow(may.can_see_request(user, request))
    if to_change:
        may.allow(may.can_file_for(user, request.case.handling_body),
                  "only the filing body's clerks and its coordinators")
    return user, request


@bp.route("")
class RequestList(MethodView):
    @bp.arguments(RequestArgs, location="query")
    @bp.response(200, RequestPageSchema)
    def get(self, args):
        """List the requests in your scope, newest first."""
        user = api_user()
        query = may.scope_requests(select(DispatchRequest), user)
        for key in ("status", "case_id", "role"):
            if args.get(key) is not None:
                query = query.where(getattr(DispatchRequest, key) == args[key])
        return dump_requests(user, page_of(query.order_by(DispatchRequest.id.desc()), args))

    @bp.arguments(RequestSchema)
    @bp.response(201, RequestSchema)
    def post(self, data):
        """Request an investigator (one seat) or arbitrators (one or three seats)."""
        request = service.create_request(data, api_user())
        db.session.commit()
        return request


@bp.route("/<int:request_id>")
class RequestItem(MethodView):
    @bp.response(200, RequestSchema)
    def get(self, request_id):
        """Read a request with the experts assigned to it (names and fields)."""
        return dump_requests(*request_in_scope(request_id))


@bp.route("/<int:request_id>/cancel")
class RequestCancel(MethodView):
    @bp.response(200, RequestSchema)
    def post(self, request_id):
        """Cancel a request; its open assignments are cancelled with it."""
        user, request = request_in_scope(request_id, to_change=True)
        service.cancel_request(request, user)
        db.session.commit()
        return request


@bp.route("/<int:request_id>/complete")
class RequestComplete(MethodView):
    @bp.response(200, RequestSchema)
    def post(self, request_id):
        """Mark accepted work done: the experts' seats stop counting towards their load."""
        user, request = request_in_scope(request_id, to_change=True)
        service.complete_request(request, user)
        db.session.commit()
        return request


@bp.route("/<int:request_id>/exclusions")
class RequestExclusions(MethodView):
    @bp.arguments(ExclusionSchema)
    @bp.response(201, ExclusionSchema)
    def post(self, data, request_id):
        """Record an upheld challenge or a recusal: the expert may not serve on this case."""
        user, request = request_in_scope(request_id, to_change=True)
        exclusion = service.exclude(request, data, user)
        db.session.commit()
        return exclusion
