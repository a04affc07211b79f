"""/api/v1/cases: cases filed by courts, IP administrations and arbitration institutions."""

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from registry.api.auth import api_user
from registry.api.common import get_or_404, page_of
from registry.extensions import db
from registry.models import Case
from registry.schemas.cases import CaseArgs, CasePageSchema, CaseSchema
from registry.services import cases as service
from registry.services import permissions as may

bp = Blueprint("cases", __name__, url_prefix="/api/v1/cases",
               description="Cases with their technical fields and parties.")


@bp.route("")
class CaseList(MethodView):
    @bp.arguments(CaseArgs, location="query")
    @bp.response(200, CasePageSchema)
    def get(self, args):
        """List the cases in your scope (your body's, or your region's)."""
        user = api_user()
        query = may.scope_cases(select(Case).order_by(Case.id.desc()), user)
        if args.get("number"):
            query = query.where(Case.number.contains(args["number"].replace("(", "（")
                                                     .replace(")", "）"), autoescape=True))
        if args.get("kind"):
            query = query.where(Case.kind == args["kind"])
        return page_of(query, args)

    @bp.arguments(CaseSchema)
    @bp.response(201, CaseSchema)
    def post(self, data):
        """File a case; the case number is checked against the 案号 rules."""
        case = service.create_case(data, api_user())
        db.session.commit()
        return case


@bp.route("/<int:case_id>")
class CaseItem(MethodView):
    @bp.response(200, CaseSchema)
    def get(self, case_id):
        """Read a case in your scope."""
        user = api_user()
        case = get_or_404(Case, case_id, "case")
        may.allow(may.can_see_case(user, case))
        return case
