"""Experts and what they declare: availability, affiliations and conflicts."""

from marshmallow import EXCLUDE, RAISE, fields, validate, validates, validates_schema

from registry.models import CreditKind, ExpertRole, ExpertStatus
from registry.schemas.base import Schema
from registry.schemas.common import (
    DateRangeSchema,
    Email,
    Id,
    LanguageCode,
    PageArgs,
    PageSchema,
    WholeNested,
    WholeNumber,
    ipc_code_field,
    require_distinct,
    require_order,
)

ROLES = [role.value for role in ExpertRole]


class ExpertFieldSchema(Schema):
    code = ipc_code_field(required=True, attribute="ipc_code")
    proficiency = WholeNumber(load_default=2, validate=validate.Range(1, 3))


class ExpertPublicSchema(Schema):
    """What a court clerk may see of an expert assigned to its case: no contact details.

    Only dumped. GET /experts/{id} documents its 200 with this schema (the whole record's
    alt_response shares the status code), so the document allows the whole record's
    further properties: EXCLUDE, not RAISE, is what `additionalProperties` is made from."""

    class Meta:
        unknown = EXCLUDE

    id = fields.Int(dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(1, 100))
    roles = fields.List(fields.Str(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(min=1, error="choose at least one role"),
                        attribute="role_names")
    home_city = fields.Str(required=True, attribute="home_city_code")
    jurisdiction = fields.Str(dump_only=True, attribute="jurisdiction_code")
    fields_ = fields.List(WholeNested(ExpertFieldSchema), required=True, data_key="fields",
                          attribute="fields", validate=validate.Length(min=1))
    languages = fields.List(LanguageCode, load_default=["zh"], attribute="language_codes",
                            validate=validate.Length(min=1, error="choose at least one language"))


class ExpertSchema(ExpertPublicSchema):
    """The whole record, for the expert itself, coordinators of its region and admins."""

    class Meta:
        unknown = RAISE  # loaded from clients: an unknown field is a mistake to report

    appointing_body_id = Id(allow_none=True)
    appointed_from = fields.Date(allow_none=True)
    appointed_until = fields.Date(allow_none=True)
    status = fields.Enum(ExpertStatus, by_value=True, load_default=ExpertStatus.ACTIVE)
    max_concurrent = WholeNumber(load_default=3, validate=validate.Range(1, 50))
    max_travel_km = fields.Float(allow_none=True, validate=validate.Range(0, 5000))
    email = Email(allow_none=True)
    phone = fields.Str(allow_none=True, validate=validate.Regexp(
        r"^\+?[0-9 \-]{5,20}$", error="{input!r} is not a phone number"))
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    @validates("fields_")
    def distinct_fields(self, value, **_kwargs):
        require_distinct(value, "ipc_code", "each IPC code may appear once")

    @validates_schema
    def term_in_order(self, data, **_kwargs):
        require_order(data, "appointed_from", "appointed_until")


class ExpertUpdateSchema(ExpertSchema):
    """Any subset of the expert's fields (used with partial=True)."""


class ExpertSearchArgs(PageArgs):
    field = ipc_code_field(metadata={"description": "IPC code; matches deeper and shallower codes"})
    city = fields.Str()
    jurisdiction = fields.Str()
    role = fields.Str(validate=validate.OneOf(ROLES))
    language = LanguageCode
    available_on = fields.Date(metadata={
        "description": "active, appointed, not unavailable and without a disqualifying record"})
    status = fields.Enum(ExpertStatus, by_value=True)
    name = fields.Str(validate=validate.Length(1, 100))


class ExpertPageSchema(PageSchema):
    items = fields.List(fields.Nested(ExpertSchema))


class UnavailabilitySchema(DateRangeSchema):
    id = fields.Int(dump_only=True)
    reason = fields.Str(load_default="", validate=validate.Length(max=200))


class AffiliationSchema(Schema):
    id = fields.Int(dump_only=True)
    organization_id = Id(required=True)
    organization = fields.Str(dump_only=True, attribute="organization.name")
    role = fields.Str(load_default="employee", validate=validate.Length(1, 60))
    start = fields.Date(allow_none=True)
    end = fields.Date(allow_none=True, metadata={"description": "null while current"})

    @validates_schema
    def end_not_before_start(self, data, **_kwargs):
        require_order(data)


class AffiliationUpdateSchema(Schema):
    end = fields.Date(required=True, allow_none=True)


class ConflictSchema(Schema):
    id = fields.Int(dump_only=True)
    organization_id = Id(required=True)
    organization = fields.Str(dump_only=True, attribute="organization.name")
    reason = fields.Str(load_default="", validate=validate.Length(max=300))
    declared_at = fields.DateTime(dump_only=True)


class CreditRecordSchema(Schema):
    id = fields.Int(dump_only=True)
    kind = fields.Enum(CreditKind, by_value=True, required=True)
    description = fields.Str(load_default="", validate=validate.Length(max=2000))
    start = fields.Date(required=True)
    end = fields.Date(allow_none=True)

    @validates_schema
    def end_not_before_start(self, data, **_kwargs):
        require_order(data)


expert_schema = ExpertSchema()
expert_public_schema = ExpertPublicSchema()
