"""The parties' answers to an arbitrator's disclosure, and the disclosures as shown."""

from datetime import date

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from registry.i18n import N_
from registry.models.disclosures import CLEARS, MAX_DOCUMENT, MAX_PARTY, WaiverKind
from registry.schemas.base import Schema
from registry.schemas.common import PLANNED_DAYS, Trimmed
from scheduler import rules

ANSWERABLE = tuple(rule.key for rule in rules.RULE_LIST if rule.severity in CLEARS)
SCOPES = ("request", "case")
PARTY_NEEDED = N_("say who answered for the parties")
DOCUMENT_NEEDED = N_("a written waiver names its document")
NOT_YET = N_("the parties cannot have answered on a day still to come")


class WaiverSchema(Schema):
    """A no-objection or written waiver, as the clerk or coordinator records it."""

    rule = fields.Str(required=True, validate=validate.OneOf(ANSWERABLE), metadata={
        "description": "the rule of the disclosed situation (scheduler/rules.py key)"})
    kind = fields.Str(required=True, validate=validate.OneOf([k.value for k in WaiverKind]),
                      metadata={"description": "no_objection (orange list) or written_waiver "
                                               "(needed for a waivable red-list situation)"})
    party = Trimmed(required=True, error_messages={"required": PARTY_NEEDED},
                    validate=[validate.Length(min=1, error=PARTY_NEEDED),
                              validate.Length(max=MAX_PARTY)],
                    metadata={"description": "who answered: the parties or counsel, by name"})
    given_on = fields.Date(load_default=date.today, validate=PLANNED_DAYS,
                           metadata={"description": "the day the parties answered"})
    document = Trimmed(load_default="", validate=validate.Length(max=MAX_DOCUMENT),
                       metadata={"description": "how: the written document's reference"})
    scope = fields.Str(load_default="request", validate=validate.OneOf(SCOPES), metadata={
        "description": "request: this request only; case: every request of its case"})

    @validates("given_on")
    def _not_future(self, value, **_kwargs):
        if value > date.today():
            raise ValidationError(NOT_YET)

    @validates_schema
    def _document_for_written(self, data, **_kwargs):
        if data.get("kind") == WaiverKind.WRITTEN_WAIVER.value and not data.get("document"):
            raise ValidationError(DOCUMENT_NEEDED, field_name="document")


class WaiverDumpSchema(Schema):
    id = fields.Int()
    rule = fields.Str()
    kind = fields.Str()
    party = fields.Str()
    given_on = fields.Str()
    document = fields.Str()
    scope = fields.Str()
    recorded_by_id = fields.Int(allow_none=True)
    recorded_at = fields.Str(allow_none=True)


class DisclosureSchema(Schema):
    rule = fields.Str(metadata={"description": "the rule's key in the rule table"})
    severity = fields.Str(metadata={"description": "waivable or disclose (from the table)"})
    title = fields.Str()
    title_zh = fields.Str()
    source = fields.Str()
    detail = fields.Str()
    cleared = fields.Bool(metadata={"description": "the parties' answer is recorded"})
    waived_by = fields.List(fields.Nested(WaiverDumpSchema))


class PairDisclosuresSchema(Schema):
    request_id = fields.Int()
    expert_id = fields.Int()
    disclosures = fields.List(fields.Nested(DisclosureSchema))
