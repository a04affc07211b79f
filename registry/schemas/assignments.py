"""Assignments of experts to requests."""

from marshmallow import Schema, fields, validate

from registry.models import AssignmentStatus
from registry.schemas.common import Id, PageArgs, PageSchema


class AssignmentSchema(Schema):
    id = fields.Int()
    request_id = fields.Int()
    case_number = fields.Str(attribute="request.case.number")
    service = fields.Str(attribute="request.service.value")
    expert_id = Id()
    expert_name = fields.Str(attribute="expert.name")
    status = fields.Enum(AssignmentStatus, by_value=True)
    source = fields.Str(metadata={"description": "solver or coordinator"})
    solver_run_id = fields.Int(allow_none=True)
    coordinator_id = fields.Int(allow_none=True)
    reasons = fields.List(fields.Str())
    decline_reason = fields.Str()
    days = fields.Function(lambda a: [{"start": d.start.isoformat(), "end": d.end.isoformat()}
                                      for d in a.request.days])
    city = fields.Str(attribute="request.city_code")
    parties = fields.Function(
        lambda a: parties_for(a), allow_none=True,
        metadata={"description": "party and counsel names, so the expert can spot a conflict "
                                 "(withheld on confidential cases until confirmed)"})
    updated_at = fields.DateTime()


def parties_for(assignment) -> list[str] | None:
    case = assignment.request.case
    if case.confidential and assignment.status.value == "proposed":
        return None
    names = []
    for party in case.parties:
        names.append(f"{party.organization.name} ({party.role.value})")
        if party.counsel:
            names.append(f"{party.counsel.name} (counsel)")
    return names


class AssignmentArgs(PageArgs):
    status = fields.Enum(AssignmentStatus, by_value=True)
    request_id = Id()
    expert_id = Id()


class AssignmentPageSchema(PageSchema):
    items = fields.List(fields.Nested(AssignmentSchema))


class DeclineSchema(Schema):
    reason = fields.Str(required=True, validate=validate.Length(3, 500))


class ManualAssignmentSchema(Schema):
    request_id = Id(required=True)
    expert_id = Id(required=True)
    note = fields.Str(load_default="", validate=validate.Length(max=300),
                      metadata={"description": "why this expert (kept in the reasons)"})
