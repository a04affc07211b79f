"""/api/v1/requests: requests for an investigator or a tribunal of arbitrators."""

from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.auth import api_user
from registry.extensions import db
from registry.schemas.cases import ExclusionSchema, RequestArgs, RequestPageSchema, RequestSchema
from registry.services import access, case_queries
from registry.services import cases as service
from registry.services.listing import page_of

bp = Blueprint("requests", __name__, url_prefix="/api/v1/requests",
               description="Dispatch requests and their lifecycle.")


def dump_requests(user, payload):
    """Dump a request, or a page of them, in the shape this user may see."""
    schema = access.request_view(user)
    if isinstance(payload, dict):
        return jsonify(dict(payload, items=schema.dump(payload["items"], many=True)))
    return jsonify(schema.dump(payload))


def request_in_scope(request_id: int, *, to_change: bool = False):
    user = api_user()
    return user, access.request_for(user, request_id, to_change=to_change,
                                    load=case_queries.REQUEST_ITEM)


@bp.route("")
class RequestList(MethodView):
    @bp.arguments(RequestArgs, location="query")
    @bp.response(200, RequestPageSchema)
    def get(self, args):
        """List the requests in your scope, newest first."""
        user = api_user()
        query = case_queries.requests_query(user, args).options(*case_queries.REQUEST_DUMP)
        return dump_requests(user, page_of(query, args))

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
        answer = dump_requests(user, request)  # what this user may see of it, as GET says
        db.session.commit()
        return answer


@bp.route("/<int:request_id>/complete")
class RequestComplete(MethodView):
    @bp.response(200, RequestSchema)
    def post(self, request_id):
        """Mark accepted work done: the experts' seats stop counting towards their load."""
        user, request = request_in_scope(request_id, to_change=True)
        service.complete_request(request, user)
        answer = dump_requests(user, request)  # what this user may see of it, as GET says
        db.session.commit()
        return answer


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
