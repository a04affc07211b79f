"""Places on arbitration institutions' rosters (panel memberships), for the API and the page."""

from marshmallow import fields, validate, validates_schema

from registry.schemas.base import Schema
from registry.schemas.common import Id, require_order


class PanelMembershipSchema(Schema):
    id = fields.Int(dump_only=True)
    expert_id = fields.Int(dump_only=True)
    institution_id = Id(required=True, metadata={
        "description": "the arbitration institution (an organization of that kind)"})
    institution = fields.Str(dump_only=True, attribute="institution.name")
    start = fields.Date(allow_none=True, load_default=None,
                        metadata={"description": "first day on the roster; null: open"})
    end = fields.Date(allow_none=True, load_default=None,
                      metadata={"description": "last day on the roster; null while current"})
    note = fields.Str(load_default="", validate=validate.Length(max=200))

    @validates_schema
    def end_not_before_start(self, data, **_kwargs):
        require_order(data)


class PanelMembershipUpdateSchema(Schema):
    end = fields.Date(required=True, allow_none=True)
