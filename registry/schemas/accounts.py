"""Accounts and the audit log."""

from datetime import date

from marshmallow import ValidationError, fields, validate, validates_schema

from registry.models import UserRole
from registry.models.users import (
    HOLDS_EMAIL,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    TOO_COMMON,
    holds_email,
    is_common_password,
)
from registry.schemas.base import Schema
from registry.schemas.common import Email, Id, PageArgs, PageSchema, Trimmed


def not_common(password: str) -> None:
    if is_common_password(password):
        raise ValidationError(TOO_COMMON)


# The password policy (models/users.py check_password_policy) at the edge, for the API and the
# forms alike; the model checks it again, with the account's email, whoever sets a password.
PASSWORD = [validate.Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH), not_common]


class UserSchema(Schema):
    id = fields.Int(dump_only=True)
    email = Email(required=True)
    role = fields.Enum(UserRole, by_value=True, required=True)
    password = fields.Str(required=True, load_only=True, validate=PASSWORD)
    body = fields.Str(load_only=True, metadata={"description": "clerk: body code or id"})
    body_id = fields.Int(dump_only=True, allow_none=True)
    region = fields.Str(allow_none=True)
    expert_id = Id(allow_none=True)
    active = fields.Bool(dump_only=True)
    must_change_password = fields.Bool(dump_only=True)
    created_at = fields.DateTime(dump_only=True)

    @validates_schema
    def password_without_email(self, data, **_kwargs):
        email, password = data.get("email"), data.get("password")
        if email and password and holds_email(password, email):
            raise ValidationError(HOLDS_EMAIL, field_name="password")


class UserUpdateSchema(Schema):
    """Any of: whether the account is active; its role with the role's scope (as UserSchema)."""

    active = fields.Bool()
    role = fields.Enum(UserRole, by_value=True)
    body = fields.Str(metadata={"description": "clerk: body code or id"})
    region = fields.Str()
    expert_id = Id()

    @validates_schema
    def something_to_change(self, data, **_kwargs):
        if not data:
            raise ValidationError("Give active, or a role with its scope.")


class PasswordResetSchema(Schema):
    """An admin's reset: a temporary password; the user chooses its own at next sign-in."""

    password = fields.Str(required=True, load_only=True, validate=PASSWORD)


class PasswordChoiceSchema(Schema):
    """A user replacing a temporary password: typed twice."""

    password = fields.Str(required=True, validate=PASSWORD)
    confirm = fields.Str(required=True)

    @validates_schema
    def typed_twice_alike(self, data, **_kwargs):
        if data.get("password") != data.get("confirm"):
            raise ValidationError("The two passwords differ.", field_name="confirm")


class UserArgs(PageArgs):
    email = Trimmed(validate=validate.Length(max=200))
    role = fields.Enum(UserRole, by_value=True)
    scope = Trimmed(validate=validate.Length(max=200),
                    metadata={"description": "a region code, or part of a body's or "
                                             "expert's name"})
    active = fields.Bool()


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


# Days far enough from either end of the calendar to survive the shift to and from UTC.
AUDIT_DAYS = validate.Range(date(1900, 1, 1), date(9999, 12, 30))


class AuditArgs(PageArgs):
    """Filters of the audit log (pages and API): who, what kind of entity, which one, what
    action, and which days, counted in China Standard Time."""

    actor_id = Id(metadata={"description": "the user who acted"})
    entity = fields.Str(validate=validate.Length(1, 60),
                        metadata={"description": "kind of entity: case, expert, user..."})
    entity_id = fields.Str(validate=validate.Length(1, 40))
    action = fields.Str(validate=validate.Length(1, 60),
                        metadata={"description": "create, update, sign_in..."})
    since = fields.Date(data_key="from", validate=AUDIT_DAYS,
                        metadata={"description": "first day, China Standard Time"})
    until = fields.Date(data_key="to", validate=AUDIT_DAYS,
                        metadata={"description": "last day (included), China Standard Time"})

    @validates_schema
    def to_not_before_from(self, data, **_kwargs):
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise ValidationError("to must not be before from", field_name="to")


class AuditPageSchema(PageSchema):
    items = fields.List(fields.Nested(AuditEventSchema))
