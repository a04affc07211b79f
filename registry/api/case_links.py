"""/api/v1/cases: a case's earlier stage linked later, the suggestions for it, and the causes
of action (issue 9 item 5, docs/cases.md). Registered on the cases blueprint."""

from flask.views import MethodView
from marshmallow import Schema, fields

from registry.api.auth import api_user
from registry.api.cases import bp
from registry.extensions import db
from registry.schemas.cases import CaseSchema, EarlierStageSchema
from registry.services import access, case_queries, case_stages, causes


class CauseSchema(Schema):
    code = fields.Str()
    name_zh = fields.Str()
    name_en = fields.Str()
    category = fields.Str()
    kinds = fields.Function(lambda cause: cause.kinds.split(";"))
    investigators = fields.Bool(metadata={"description": "rule case_type: technical "
                                                         "investigators may serve"})


@bp.route("/causes")
class CauseList(MethodView):
    @bp.response(200, CauseSchema(many=True))
    def get(self):
        """The causes of action (案由) a case may carry, and whether investigators may serve."""
        api_user()
        return causes.all_causes()


@bp.route("/<int:case_id>/earlier-stage")
class EarlierStage(MethodView):
    @bp.arguments(EarlierStageSchema)
    @bp.response(200, CaseSchema)
    def put(self, data, case_id):
        """Link the case's earlier stage (null unlinks): a court links its own cases and, as
        an appeal court, those of the courts below it in its area; coordinators within their
        region; admins any."""
        user = api_user()
        case = access.case_for(user, case_id, case_queries.CASE_ITEM, to_change=True)
        case_stages.link_earlier_stage(case, data["earlier_stage_id"], user)
        db.session.commit()
        return case_stages.with_suggestions(case, user)
