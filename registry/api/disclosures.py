"""/api/v1/disclosures: what is disclosed about an arbitrator on a request, and the parties'
recorded no-objections and written waivers (docs/disclosure.md)."""

from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.auth import api_user
from registry.extensions import db
from registry.schemas.disclosures import PairDisclosuresSchema, WaiverDumpSchema, WaiverSchema
from registry.services import disclosures as service

bp = Blueprint("disclosures", __name__, url_prefix="/api/v1/disclosures",
               description="Arbitrators' disclosures (IBA lists) and the parties' answers.")


def pair_json(request, expert) -> dict:
    return {"request_id": request.id, "expert_id": expert.id,
            "disclosures": [service.disclosure_json(d)
                            for d in service.disclosures(request, expert)]}


@bp.route("/requests/<int:request_id>/experts/<int:expert_id>")
class PairDisclosures(MethodView):
    @bp.response(200, PairDisclosuresSchema)
    def get(self, request_id, expert_id):
        """What is disclosed about the expert on the request, each with its answers."""
        request, expert = service.pair_for(api_user(), request_id, expert_id)
        return pair_json(request, expert)


@bp.route("/requests/<int:request_id>/experts/<int:expert_id>/waivers")
class PairWaivers(MethodView):
    @bp.arguments(WaiverSchema)
    @bp.response(201, WaiverDumpSchema)
    def post(self, data, request_id, expert_id):
        """Record the parties' no-objection or written waiver for a disclosed situation
        (the filing body's clerks, the region's coordinators); audited."""
        user = api_user()
        request, expert = service.pair_for(user, request_id, expert_id)
        waiver = service.record_waiver(request, expert, data, user)
        db.session.commit()
        return service.waiver_json(waiver)
