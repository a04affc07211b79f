"""Accounts and the audit log."""

from marshmallow import Schema, fields, validate

from registry.models import UserRole
from registry.schemas.common import Id, PageArgs, PageSchema


class UserSchema(Schema):
    id = fields.Int(dump_only=True)
    email = fields.Email(required=True)
    role = fields.Enum(UserRole, by_value=True, required=True)
    password = fields.Str(required=True, load_only=True, validate=validate.Length(8, 200))
    body = fields.Str(load_only=True, metadata={"description": "clerk: body code or id"})
    body_id = fields.Int(dump_only=True)
    region = fields.Str(allow_none=True)
    expert_id = Id(allow_none=True)
    active = fields.Bool(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class UserUpdateSchema(Schema):
    active = fields.Bool(required=True)


class UserPageSchema(PageSchema):
    items = fields.List(fields.Nested(UserSchema))


class AuditEventSchema(Schema):
    id = fields.Int()
    at = fields.DateTime()
    actor_id = fields.Int(allow_none=True)
    action = fields.Str()
    entity = fields.Str()
    entity_id = fields.Str()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


class AuditArgs(PageArgs):
    entity = fields.Str()
    entity_id = fields.Str()


class AuditPageSchema(PageSchema):
    items = fields.List(fields.Nested(AuditEventSchema))
