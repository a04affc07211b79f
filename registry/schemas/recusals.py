"""The recusal lifecycle at the edge: a recusal, a challenge, its decisions, the notice."""

from marshmallow import fields, validate

from registry.i18n import N_
from registry.models import ChallengeStatus, DeciderRole
from registry.models.base import local_today
from registry.models.recusals import MAX_GROUNDS, MAX_NAME
from registry.schemas.base import Schema
from registry.schemas.common import PLANNED_DAYS, Id, Trimmed
from registry.services.recusals import MAX_RECUSAL_REASON

TEXT_NEEDED = N_("this is needed")


def text(limit: int, **kwargs) -> Trimmed:
    """Required text, not blank, at most `limit` characters."""
    return Trimmed(required=True, error_messages={"required": TEXT_NEEDED},
                   validate=[validate.Length(min=1, error=TEXT_NEEDED),
                             validate.Length(max=limit)], **kwargs)


def day(**kwargs) -> fields.Date:
    return fields.Date(required=True, validate=PLANNED_DAYS,
                       error_messages={"required": TEXT_NEEDED}, **kwargs)


class Versioned(Schema):
    version = Id(load_default=None, metadata={
        "description": "the challenge's version seen: the move is made only from it (409)"})


class RecusalSchema(Schema):
    """An expert withdraws from a whole case (自行回避)."""

    expert_id = Id(load_default=None, metadata={
        "description": "the expert who recuses (an expert's own call may leave it out)"})
    reason = text(MAX_RECUSAL_REASON)
    request_id = Id(load_default=None, metadata={
        "description": "the request the recusal is recorded on (e.g. one declined)"})


class RecusalOutSchema(Schema):
    case_id = fields.Int(attribute="request.case_id")
    request_id = fields.Int()
    expert_id = fields.Int()
    expert_name = fields.Str(attribute="expert.name")
    reason = fields.Str(attribute="note")
    rule = fields.Constant("self_recusal")


class ChallengeCreateSchema(Schema):
    expert_id = Id(required=True, error_messages={"required": TEXT_NEEDED})
    party_id = Id(required=True, error_messages={"required": TEXT_NEEDED},
                  metadata={"description": "the applicant: a party of the case"})
    applied_on = day(metadata={"description": "the day the party applied"})
    grounds = text(MAX_GROUNDS)


class DecisionSchema(Versioned):
    outcome = fields.Str(required=True, error_messages={"required": TEXT_NEEDED},
                         validate=validate.OneOf(("upheld", "rejected")))
    decided_on = day()
    decider_name = text(MAX_NAME, metadata={"description": "who decided (not who records)"})
    decider_role = fields.Enum(DeciderRole, by_value=True, required=True,
                               error_messages={"required": TEXT_NEEDED})
    reason = text(MAX_GROUNDS)


class ReviewSchema(Versioned):
    requested_on = day()
    grounds = text(MAX_GROUNDS)


class ServedSchema(Schema):
    served_on = day()
    served_how = text(MAX_NAME, metadata={"description": "how: 直接送达, 邮寄送达, 当庭告知…"})


def _overdue(challenge) -> bool:
    return challenge.is_overdue(local_today())


class ChallengeSchema(Schema):
    id = fields.Int()
    case_id = fields.Int()
    case_number = fields.Str(attribute="case.number")
    expert_id = fields.Int()
    expert_name = fields.Str(attribute="expert.name")
    party_id = fields.Int()
    applicant = fields.Str(attribute="party.party_name")
    grounds = fields.Str()
    applied_on = fields.Date()
    status = fields.Enum(ChallengeStatus, by_value=True)
    decision_due = fields.Date()
    review_due = fields.Date(allow_none=True)
    due_on = fields.Date(allow_none=True, metadata={"description": "a pending decision's day"})
    overdue = fields.Function(_overdue)
    suspends = fields.Bool()
    bars = fields.Bool()
    decided_on = fields.Date(allow_none=True)
    decider_name = fields.Str()
    decider_role = fields.Enum(DeciderRole, by_value=True, allow_none=True)
    decision_reason = fields.Str()
    review_requested_on = fields.Date(allow_none=True)
    review_grounds = fields.Str()
    review_decided_on = fields.Date(allow_none=True)
    review_decider_name = fields.Str()
    review_decider_role = fields.Enum(DeciderRole, by_value=True, allow_none=True)
    review_reason = fields.Str()
    version = fields.Int()


class NoticeSchema(Schema):
    id = fields.Int()
    case_id = fields.Int()
    assignment_id = fields.Int()
    expert_id = fields.Int()
    expert_name = fields.Str(attribute="expert.name")
    confirmed_on = fields.Date()
    due_on = fields.Date()
    overdue = fields.Function(lambda n: n.is_overdue(local_today()))
    seat_ended = fields.Bool()
    served_on = fields.Date(allow_none=True)
    served_how = fields.Str()
    served_at = fields.DateTime(allow_none=True)


class DutiesSchema(Schema):
    challenges = fields.List(fields.Nested(ChallengeSchema))
    notices = fields.List(fields.Nested(NoticeSchema))
