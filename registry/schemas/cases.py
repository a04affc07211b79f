"""Cases, parties, dispatch requests and exclusions."""

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from registry.models import (
    STANDING_STATUSES,
    CaseKind,
    CaseStage,
    ExclusionReason,
    ExpertRole,
    PartyRole,
    RequestStatus,
    Service,
    case_numbers,
)
from registry.models.base import LOCAL_TIME
from registry.schemas.base import Schema
from registry.schemas.common import (
    DateRangeSchema,
    Id,
    Identifier,
    LanguageCode,
    PageArgs,
    PageSchema,
    WholeNumber,
    ipc_code_field,
    require_distinct,
)
from registry.services import working_calendar

CHOOSE_FIELDS = "choose one to twenty technical fields"  # translated: i18n.VALIDATION_MESSAGES


class PartySchema(Schema):
    # Null on a natural-person party (shown, never filed here: docs/persons.md).
    organization_id = Id(required=True, allow_none=True, metadata={
        "description": "the party, an organisation; null when shown for a natural person"})
    organization = fields.Str(dump_only=True, attribute="organization.name")
    role = fields.Enum(PartyRole, by_value=True, required=True)
    counsel_id = Id(allow_none=True, metadata={"description": "the law firm acting"})
    counsel = fields.Str(dump_only=True, attribute="counsel.name", allow_none=True)
    # Natural persons (docs/persons.md): their names only; /cases/<id>/person-parties has more.
    person = fields.Str(dump_only=True, attribute="person.name", allow_none=True)
    agent = fields.Str(dump_only=True, attribute="agent_person.name", allow_none=True)

    @validates_schema
    def filed_as_organisation(self, data, **_kwargs):
        if "organization_id" in data and data["organization_id"] is None:
            raise ValidationError({"organization_id": [
                "a party filed with the case is an organisation; add a natural person on "
                "the case page"]})


class CaseSchema(Schema):
    id = fields.Int(dump_only=True)
    number = Identifier(spelling=case_numbers.normalise, required=True,
                        validate=validate.Length(1, 60), metadata={
        "description": "案号, e.g. （2024）沪73知民初123号; half-width brackets are accepted"})
    title = fields.Str(load_default="", validate=validate.Length(max=300))
    handling_body_id = Id(metadata={"description": "default: the clerk's own body"})
    kind = fields.Enum(CaseKind, by_value=True, required=True)
    stage = fields.Enum(CaseStage, by_value=True, load_default=None, allow_none=True, metadata={
        "description": "default: the stage the number's type code names (初 first instance, "
                       "终 appeal, 再/申 retrial); a stage the number contradicts is refused"})
    cause = fields.Str(attribute="cause_code", allow_none=True, validate=validate.Length(1, 48),
                       metadata={"description": "cause of action (案由): a code listed by "
                                                "GET /api/v1/cases/causes"})
    investigators_allowed = fields.Bool(dump_only=True, metadata={
        "description": "rule case_type: whether technical investigators may be requested"})
    earlier_stage_id = Id(allow_none=True)
    confidential = fields.Bool(load_default=False)
    fields_ = fields.List(ipc_code_field(), required=True, data_key="fields",
                          attribute="field_codes",
                          validate=validate.Length(1, 20, error=CHOOSE_FIELDS))
    parties = fields.List(fields.Nested(PartySchema), load_default=list)
    created_at = fields.DateTime(dump_only=True)
    warnings = fields.Method("warnings_of", dump_only=True, metadata={
        "description": "e.g. rule one_procedure: an appeal or retrial without its earlier stage"})
    earlier_stage_suggestions = fields.List(fields.Dict(), dump_only=True, metadata={
        "description": "on a single case: cases you could link as its missing earlier stage "
                       "(same parties, overlapping fields)"})

    def warnings_of(self, case) -> list[dict]:
        from registry.services.case_stages import warnings_for

        return warnings_for(case)

    @validates("parties")
    def distinct_parties(self, parties, **_kwargs):
        require_distinct(parties, "organization_id",
                         "an organization can be a party once per case")


class EarlierStageSchema(Schema):
    earlier_stage_id = Id(required=True, allow_none=True,
                          metadata={"description": "the earlier stage; null unlinks it"})


class CaseArgs(PageArgs):
    number = fields.Str(validate=validate.Length(1, 60))
    kind = fields.Enum(CaseKind, by_value=True)


class CasePageSchema(PageSchema):
    items = fields.List(fields.Nested(CaseSchema))


class ExclusionSchema(Schema):
    id = fields.Int(dump_only=True)
    expert_id = Id(required=True)
    reason = fields.Enum(ExclusionReason, by_value=True, required=True)
    note = fields.Str(load_default="", validate=validate.Length(max=300))


class AssignedExpertSchema(Schema):
    """A request's assignments as the filing court sees them: names and fields only."""

    id = fields.Int()
    status = fields.Str(attribute="status.value")
    expert_id = Id()
    expert_name = fields.Str(attribute="expert.name")
    expert_fields = fields.Function(
        lambda a: {f.ipc_code: f.proficiency for f in a.expert.fields})


class RequestSchema(Schema):
    id = fields.Int(dump_only=True)
    case_id = Id(required=True)
    case_number = fields.Str(dump_only=True, attribute="case.number")
    role = fields.Enum(ExpertRole, by_value=True, required=True)
    seats = WholeNumber(load_default=1, validate=validate.Range(1, 3))
    service = fields.Enum(Service, by_value=True, required=True)
    city = fields.Str(attribute="city_code", metadata={"description": "default: the body's city"})
    days = fields.List(fields.Nested(DateRangeSchema), load_default=list,
                       validate=validate.Length(max=20),
                       metadata={"description": "when the expert must attend; empty for "
                                                "written work"})
    remote_allowed = fields.Bool(load_default=False)
    priority = WholeNumber(load_default=3, validate=validate.Range(1, 5))
    language = fields.Str(allow_none=True, validate=LanguageCode.validate)
    note = fields.Str(load_default="", validate=validate.Length(max=2000))
    status = fields.Enum(RequestStatus, by_value=True, dump_only=True)
    exclusions = fields.List(fields.Nested(ExclusionSchema), load_default=list)
    assignments = fields.List(fields.Nested(AssignedExpertSchema), dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    urgent = fields.Bool(load_default=False, metadata={
        "description": "urgent evidence preservation (证据保全): needs needed_by within 48 h"})
    needed_by = fields.AwareDateTime(
        allow_none=True, load_default=None, default_timezone=LOCAL_TIME,
        metadata={"description": "when an urgent request's expert is needed; a time without "
                                 "offset is China Standard Time"})
    warnings = fields.Method("calendar_warnings", dump_only=True, metadata={
        "description": "accepted but worth a look: attendance on a non-working day "
                       "(code non_working_day, day, holiday)"})

    def calendar_warnings(self, request) -> list[dict]:
        return working_calendar.request_warnings(request)

    @validates("exclusions")
    def each_expert_once(self, value, **_kwargs):
        require_distinct(value, "expert_id", "each expert may be named once")


class StandingRequestSchema(RequestSchema):
    """A request as its filing body sees it: the experts who stand on it (a withdrawn,
    cancelled or declined proposal gives no standing) and the exclusions it records, not an
    expert's decline and its reason."""

    assignments = fields.Method("standing_assignments", dump_only=True)
    exclusions = fields.Method("recorded_exclusions", dump_only=True)

    def standing_assignments(self, request) -> list[dict]:
        return _assigned_experts.dump(
            [a for a in request.assignments if a.status in STANDING_STATUSES])

    def recorded_exclusions(self, request) -> list[dict]:
        return _exclusions.dump(
            [e for e in request.exclusions if e.reason is not ExclusionReason.DECLINED])


# Built once: making a schema copies its fields (0.1-0.3 ms, and its nested schemas again on
# first use), while dumping changes nothing on it, so one instance serves every call and
# thread (as experts.expert_schema). What each role is shown: services/access.request_view.
_assigned_experts = AssignedExpertSchema(many=True)
_exclusions = ExclusionSchema(many=True)
request_schema = RequestSchema()
standing_request_schema = StandingRequestSchema()
request_schema_without_others = RequestSchema(exclude=("exclusions", "assignments"))


class RequestArgs(PageArgs):
    status = fields.Enum(RequestStatus, by_value=True)
    number = fields.Str(validate=validate.Length(1, 60),
                        metadata={"description": "part of the case number"})
    case_id = Id()
    role = fields.Enum(ExpertRole, by_value=True)


class RequestPageSchema(PageSchema):
    items = fields.List(fields.Nested(RequestSchema))
