"""/api/v1/organizations: anyone signed in reads them and adds parties, firms and employers."""

from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.auth import api_user
from registry.extensions import db
from registry.models import Organization
from registry.schemas.organizations import (
    OrganizationArgs,
    OrganizationPageSchema,
    OrganizationSchema,
)
from registry.services import access
from registry.services import organizations as service
from registry.services.listing import page_of

bp = Blueprint("organizations", __name__, url_prefix="/api/v1/organizations",
               description="Companies, universities, law firms, courts and agencies.")


@bp.route("")
class OrganizationList(MethodView):
    @bp.arguments(OrganizationArgs, location="query")
    @bp.response(200, OrganizationPageSchema)
    def get(self, args):
        """Search organizations by name, kind or city."""
        api_user()
        return page_of(service.search(args), args)

    @bp.arguments(OrganizationSchema)
    @bp.response(201, OrganizationSchema)
    def post(self, data):
        """Add an organization; only admins add courts, agencies and arbitration institutions."""
        organization = service.create_organization(data, api_user())
        db.session.commit()
        return organization


@bp.route("/<int:organization_id>")
class OrganizationItem(MethodView):
    @bp.response(200, OrganizationSchema)
    def get(self, organization_id):
        """Read one organization."""
        api_user()
        return access.get_row(Organization, organization_id, "organization")
