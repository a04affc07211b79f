"""/api/v1/organizations: anyone signed in reads them and adds parties, firms and employers."""

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from registry.api.auth import api_user
from registry.api.common import authorize, get_or_404, page_of
from registry.extensions import db
from registry.models import City, DomainError, Organization, UserRole
from registry.schemas.organizations import (
    OrganizationArgs,
    OrganizationPageSchema,
    OrganizationSchema,
)
from registry.services.audit import record

bp = Blueprint("organizations", __name__, url_prefix="/api/v1/organizations",
               description="Companies, universities, law firms, courts and agencies.")


@bp.route("")
class OrganizationList(MethodView):
    @bp.arguments(OrganizationArgs, location="query")
    @bp.response(200, OrganizationPageSchema)
    def get(self, args):
        """Search organizations by name, kind or city."""
        api_user()
        query = select(Organization).order_by(Organization.name, Organization.id)
        if args.get("name"):
            query = query.where(Organization.name.contains(args["name"], autoescape=True))
        if args.get("kind"):
            query = query.where(Organization.kind == args["kind"])
        if args.get("city"):
            query = query.where(Organization.city_code == args["city"])
        return page_of(query, args)

    @bp.arguments(OrganizationSchema)
    @bp.response(201, OrganizationSchema)
    def post(self, data):
        """Add an organization; only admins add courts, agencies and arbitration institutions."""
        user = api_user()
        organization = Organization(**data)
        authorize(not organization.handles_cases or user.role is UserRole.ADMIN,
                  "only admins add handling bodies")
        if organization.city_code and db.session.get(City, organization.city_code) is None:
            raise DomainError(f"unknown city {organization.city_code!r}", field="city")
        if organization.registry_id and db.session.scalar(
                select(Organization.id).where(Organization.registry_id == data["registry_id"])):
            raise DomainError(f"registry id {organization.registry_id} is already registered",
                              field="registry_id")
        db.session.add(organization)
        db.session.flush()
        record(user, "create", "organization", organization.id, after={"name": organization.name})
        db.session.commit()
        return organization


@bp.route("/<int:organization_id>")
class OrganizationItem(MethodView):
    @bp.response(200, OrganizationSchema)
    def get(self, organization_id):
        """Read one organization."""
        api_user()
        return get_or_404(Organization, organization_id, "organization")
