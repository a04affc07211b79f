"""/api/v1/experts/<id>/panels: an arbitrator's places on arbitration institutions' rosters
(issue 9 item 6). Read by whoever sees the expert; changed by its coordinators and admins."""

from flask.views import MethodView

from registry.api.auth import api_user
from registry.api.experts import bp
from registry.extensions import db
from registry.models import PanelMembership
from registry.schemas.panels import PanelMembershipSchema, PanelMembershipUpdateSchema
from registry.services import access
from registry.services import panels as service


@bp.route("/<int:expert_id>/panels")
class PanelMembershipList(MethodView):
    @bp.response(200, PanelMembershipSchema(many=True))
    def get(self, expert_id):
        """The arbitrator's places on institutions' rosters, past and current (the expert
        itself, its coordinators and admins)."""
        return access.expert_for_declarations(api_user(), expert_id).panel_memberships

    @bp.arguments(PanelMembershipSchema)
    @bp.response(201, PanelMembershipSchema)
    def post(self, data, expert_id):
        """Put the arbitrator on an arbitration institution's roster (coordinators, admins)."""
        user = api_user()
        place = service.add_place(access.expert_to_manage(user, expert_id), data, user)
        db.session.commit()
        return place


@bp.route("/<int:expert_id>/panels/<int:place_id>")
class PanelMembershipItem(MethodView):
    @bp.arguments(PanelMembershipUpdateSchema)
    @bp.response(200, PanelMembershipSchema)
    def patch(self, data, expert_id, place_id):
        """End (or reopen) a place on a roster."""
        user = api_user()
        expert = access.expert_to_manage(user, expert_id)
        place = service.end_place(access.owned(PanelMembership, place_id, expert), data["end"],
                                  user)
        db.session.commit()
        return place

    @bp.response(204)
    def delete(self, expert_id, place_id):
        """Remove a place entered by mistake (end it instead to keep its history)."""
        user = api_user()
        expert = access.expert_to_manage(user, expert_id)
        service.remove_place(access.owned(PanelMembership, place_id, expert), user)
        db.session.commit()
