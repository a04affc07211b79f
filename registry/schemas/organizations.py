"""Organizations: parties, counsel, employers and the bodies that handle cases."""

from marshmallow import fields, validate

from registry.models import OrganizationKind
from registry.schemas.base import Schema
from registry.schemas.common import Identifier, PageArgs, PageSchema, Trimmed


class OrganizationSchema(Schema):
    id = fields.Int(dump_only=True)
    name = Trimmed(required=True, validate=validate.Length(1, 200))
    name_en = Trimmed(allow_none=True, validate=validate.Length(max=200))
    registry_id = Identifier(allow_none=True, validate=validate.Regexp(
        r"^[0-9A-Za-z_\-]{2,40}$",
        error="{input!r} is not a registry id (an 18-character unified social credit code)"),
        metadata={"description": "unified social credit code (统一社会信用代码) or other id"})
    kind = fields.Enum(OrganizationKind, by_value=True, required=True)
    city = fields.Str(allow_none=True, attribute="city_code")
    case_number_code = Identifier(allow_none=True, validate=validate.Length(max=12))


class OrganizationArgs(PageArgs):
    name = fields.Str(validate=validate.Length(1, 200))
    kind = fields.Enum(OrganizationKind, by_value=True)
    city = fields.Str()


class OrganizationPageSchema(PageSchema):
    items = fields.List(fields.Nested(OrganizationSchema))
