"""/api/v1/reference: cities, jurisdictions, recognition agreements and IPC fields.

Public facts, readable without a token.
"""

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields
from sqlalchemy import select

from registry.extensions import db
from registry.models import City, IpcField, Jurisdiction, RecognitionAgreement
from registry.schemas.base import Schema

bp = Blueprint("reference", __name__, url_prefix="/api/v1/reference",
               description="Reference data: geography, agreements, IPC fields (no token needed).")


class CitySchema(Schema):
    code = fields.Str()
    name_zh = fields.Str()
    name_en = fields.Str()
    jurisdiction = fields.Str(attribute="jurisdiction_code")
    lat = fields.Float()
    lon = fields.Float()


class JurisdictionSchema(Schema):
    code = fields.Str()
    name_zh = fields.Str()
    name_en = fields.Str()


class AgreementSchema(Schema):
    code = fields.Str()
    name_zh = fields.Str()
    name_en = fields.Str()
    effective_from = fields.Date()
    members = fields.Function(lambda agreement: sorted(agreement.member_codes()))
    roles = fields.Function(lambda agreement: agreement.role_names,
                            metadata={"description": "the roles whose appointments it "
                                                     "recognises (issue 9 item 6)"})


class IpcFieldSchema(Schema):
    code = fields.Str()
    level = fields.Str()
    parent = fields.Str(attribute="parent_code")
    title_en = fields.Str()
    title_zh = fields.Str()


def all_of(model, order):
    return db.session.scalars(select(model).order_by(order)).all()


@bp.route("/cities")
class Cities(MethodView):
    @bp.response(200, CitySchema(many=True))
    @bp.doc(security=[])
    def get(self):
        """Every city with its coordinates and jurisdiction."""
        return all_of(City, City.code)


@bp.route("/jurisdictions")
class Jurisdictions(MethodView):
    @bp.response(200, JurisdictionSchema(many=True))
    @bp.doc(security=[])
    def get(self):
        """Province-level jurisdictions."""
        return all_of(Jurisdiction, Jurisdiction.code)


@bp.route("/agreements")
class Agreements(MethodView):
    @bp.response(200, AgreementSchema(many=True))
    @bp.doc(security=[])
    def get(self):
        """Recognition agreements (YRD, GBA) and their members."""
        return all_of(RecognitionAgreement, RecognitionAgreement.code)


@bp.route("/ipc-fields")
class IpcFields(MethodView):
    @bp.response(200, IpcFieldSchema(many=True))
    @bp.doc(security=[])
    def get(self):
        """IPC sections, classes and subclasses with English and Chinese titles."""
        return all_of(IpcField, IpcField.code)
