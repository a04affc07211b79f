"""/api/v1/cases: cases filed by courts, IP administrations and arbitration institutions."""

from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.auth import api_user
from registry.extensions import db
from registry.schemas.cases import CaseArgs, CasePageSchema, CaseSchema
from registry.services import access, case_queries, case_stages
from registry.services import cases as service
from registry.services.listing import page_of

bp = Blueprint("cases", __name__, url_prefix="/api/v1/cases",
               description="Cases with their technical fields and parties.")


@bp.route("")
class CaseList(MethodView):
    @bp.arguments(CaseArgs, location="query")
    @bp.response(200, CasePageSchema)
    def get(self, args):
        """List the cases in your scope (your body's, or your region's)."""
        query = case_queries.cases_query(api_user(), args).options(*case_queries.CASE_DUMP)
        return page_of(query, args)

    @bp.arguments(CaseSchema)
    @bp.response(201, CaseSchema)
    def post(self, data):
        """File a case; the case number is checked against the 案号 rules."""
        case = service.create_case(data, api_user())
        db.session.commit()
        return case_stages.with_suggestions(case, api_user())


@bp.route("/<int:case_id>")
class CaseItem(MethodView):
    @bp.response(200, CaseSchema)
    def get(self, case_id):
        """Read a case in your scope (an appeal without its earlier stage: with a warning and
        the cases you could link as that stage)."""
        user = api_user()
        return case_stages.with_suggestions(
            access.case_for(user, case_id, case_queries.CASE_ITEM), user)


# Modules whose routes join this blueprint (imported last: they import `bp` from here).
from registry.api import case_links, recusals  # noqa: E402, F401
