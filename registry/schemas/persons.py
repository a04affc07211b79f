"""Natural persons: parties and agents who are persons, and experts' relatives and relations.

Inputs are flat (a form posts them as they are; the API takes the same keys). An identity
number is load-only: what is dumped comes from services/persons.view, the number itself for
admins only (docs/persons.md).
"""

from marshmallow import ValidationError, fields, validate, validates_schema

from registry.models import DomainError, IdentityDocument, PartyRole, RelationKind
from registry.models.persons import check_identity
from registry.schemas.base import Schema
from registry.schemas.common import Id, Trimmed

NAME = validate.Length(1, 100)


def _check_person(data: dict, prefix: str = "") -> None:
    """A number needs its document type and must be valid for it; the message names the
    input (`identity_number`, or `agent_identity_number`)."""
    number = data.get(f"{prefix}identity_number")
    if not number:
        return
    document = data.get(f"{prefix}document_type")
    if document is None:
        raise ValidationError({f"{prefix}document_type": [
            "say which identity document the number is from"]})
    try:
        data[f"{prefix}identity_number"] = check_identity(document, number)
    except DomainError as error:
        raise ValidationError({f"{prefix}identity_number": [error.message]}) from None


class PersonInputSchema(Schema):
    name = Trimmed(required=True, validate=NAME)
    document_type = fields.Enum(IdentityDocument, by_value=True, allow_none=True, metadata={
        "description": "resident_id (居民身份证, checked by GB 11643), hk_macao_permit, "
                       "taiwan_permit, passport, foreign_permanent_id, other"})
    identity_number = Trimmed(load_only=True, validate=validate.Length(max=64), metadata={
        "description": "kept as a keyed HMAC (matching) and encrypted (admins); never shown "
                       "in full to anyone but admins"})

    @validates_schema
    def valid_number(self, data, **_kwargs):
        _check_person(data)


class PersonPartySchema(PersonInputSchema):
    """A natural person as a party, with its law firm and individual agent if any."""

    role = fields.Enum(PartyRole, by_value=True, required=True)
    counsel_id = Id(allow_none=True, metadata={"description": "the law firm acting"})
    agent_name = Trimmed(validate=validate.Length(max=100))
    agent_document_type = fields.Enum(IdentityDocument, by_value=True, allow_none=True)
    agent_identity_number = Trimmed(load_only=True, validate=validate.Length(max=64))

    @validates_schema
    def valid_agent(self, data, **_kwargs):
        _check_agent(data)


def _check_agent(data: dict) -> None:
    if data.get("agent_identity_number") and not data.get("agent_name"):
        raise ValidationError({"agent_name": ["the agent needs a name"]})
    _check_person(data, "agent_")


class AgentSchema(Schema):
    """An individual agent (a lawyer or a citizen) for a party, organisation or person."""

    agent_name = Trimmed(required=True, validate=NAME)
    agent_document_type = fields.Enum(IdentityDocument, by_value=True, allow_none=True)
    agent_identity_number = Trimmed(load_only=True, validate=validate.Length(max=64))

    @validates_schema
    def valid_agent(self, data, **_kwargs):
        _check_agent(data)


class RelationInputSchema(PersonInputSchema):
    kind = fields.Enum(RelationKind, by_value=True, required=True, metadata={
        "description": "near relatives (a bar): spouse, parent, child, sibling, grandparent, "
                       "grandchild, collateral, in_law; other relations (disclosed): "
                       "classmate, teacher, student, close_friend, enmity, business_partner, "
                       "other"})
    note = Trimmed(load_default="", validate=validate.Length(max=300))


# -- what is shown (built by services/persons.view; documented here) ----------------------------

class PersonViewSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    document_type = fields.Str(allow_none=True)
    identity_masked = fields.Str(allow_none=True, metadata={"description": "e.g. ****1234"})
    identity_number = fields.Str(allow_none=True, metadata={
        "description": "admins only (null when no number was recorded)"})


class PersonPartyViewSchema(Schema):
    id = fields.Int()
    case_id = fields.Int()
    role = fields.Str()
    organization_id = fields.Int(allow_none=True)
    organization = fields.Str(allow_none=True)
    person = fields.Nested(PersonViewSchema, allow_none=True)
    counsel_id = fields.Int(allow_none=True)
    counsel = fields.Str(allow_none=True)
    agent = fields.Nested(PersonViewSchema, allow_none=True)


class RelationViewSchema(Schema):
    id = fields.Int()
    expert_id = fields.Int()
    kind = fields.Str()
    near_relative = fields.Bool()
    note = fields.Str()
    declared_at = fields.DateTime()
    person = fields.Nested(PersonViewSchema)
