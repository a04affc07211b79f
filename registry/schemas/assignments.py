"""Assignments of experts to requests."""

from marshmallow import fields, pre_dump, validate

from registry.i18n import N_
from registry.models import SERVED_STATUSES, STANDING_STATUSES, AssignmentStatus
from registry.models.assignments import MAX_DECLINE_REASON
from registry.schemas.base import Schema
from registry.schemas.common import Id, PageArgs, PageSchema, Trimmed

REASON_NEEDED = N_("a reason is needed")


class AssignmentSchema(Schema):
    id = fields.Int()
    request_id = fields.Int()
    case_number = fields.Str(attribute="request.case.number")
    service = fields.Str(attribute="request.service.value")
    expert_id = Id()
    expert_name = fields.Str(attribute="expert.name")
    status = fields.Enum(AssignmentStatus, by_value=True)
    version = fields.Int(metadata={"description": "send it back with a move to make the move "
                                                  "only from this version (409 otherwise)"})
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
                                 "(withheld on confidential cases until confirmed, and once the "
                                 "assignment no longer stands)"})
    updated_at = fields.DateTime()
    disclosures = fields.Function(
        lambda a: disclosures_for(a),
        metadata={"description": "an arbitrator's disclosed situations (IBA lists) with the "
                                 "parties' recorded answers: rule, severity, title, detail, "
                                 "cleared, waived_by (docs/disclosure.md)"})
    flags = fields.Function(
        lambda a: flags_for(a),
        metadata={"description": "hard rules this held seat broke after it was taken, open "
                                 "until the breach is gone or the seat ends: rule (key of the "
                                 "rule table), title, title_en, severity, explanation, detail, "
                                 "facts, raised_at (docs/flags.md)"})


def flags_for(assignment) -> list[dict]:
    from registry.services.flags import flags_of

    return flags_of(assignment)


# A listing finds its seats' disclosures together (AssignmentPageSchema) and keeps each
# seat's list on the row, under this name, for the row's own dump; a row dumped alone finds
# its own.
FOUND_DISCLOSURES = "_found_disclosures"


def disclosures_for(assignment) -> list[dict]:
    from registry.services.disclosures import assignment_disclosures

    # Taken off the row as it is read: the row lives on in the session, and a later dump
    # (after a waiver is recorded) must find its disclosures anew.
    found = assignment.__dict__.pop(FOUND_DISCLOSURES, None)
    return found if found is not None else assignment_disclosures(assignment)


def parties_for(assignment) -> list[str] | None:
    """The case's parties, counsel and agents while the assignment stands (a declined,
    withdrawn or cancelled one gives no standing: the expert stops seeing the request), on a
    confidential case only once the expert is confirmed; else None."""
    case = assignment.request.case
    if assignment.status not in STANDING_STATUSES or (
            case.confidential and assignment.status not in SERVED_STATUSES):
        return None
    names = []
    for party in case.parties:
        names.append(f"{party.party_name} ({party.role.value})")  # a natural person too
        if party.counsel:
            names.append(f"{party.counsel.name} (counsel)")
        if party.agent_person:
            names.append(f"{party.agent_person.name} (agent)")
    return names


class AssignmentArgs(PageArgs):
    status = fields.Enum(AssignmentStatus, by_value=True)
    request_id = Id()
    expert_id = Id()


class AssignmentPageSchema(PageSchema):
    items = fields.List(fields.Nested(AssignmentSchema))

    @pre_dump
    def find_disclosures_at_once(self, page: dict, **_kwargs) -> dict:
        """The page's disclosures in one pass: one query for the declared relations of all
        its seats, where each seat alone would cost one."""
        from registry.services.disclosures import assignments_disclosures

        found = assignments_disclosures(page["items"])
        for assignment in page["items"]:
            setattr(assignment, FOUND_DISCLOSURES, found[assignment.id])
        return page


class MoveSchema(Schema):
    """A lifecycle move (confirm, accept, decline). With `version`, the move is made only
    from the version the caller saw: of two moves sent together, exactly one wins."""

    version = Id(load_default=None, metadata={"description": "the assignment's version seen"})


class DeclineSchema(MoveSchema):
    # Any non-blank reason: 出差 ("away on business") says all in two characters.
    reason = Trimmed(required=True, error_messages={"required": REASON_NEEDED},
                     validate=[validate.Length(min=1, error=REASON_NEEDED),
                               validate.Length(max=MAX_DECLINE_REASON)])
    whole_case = fields.Boolean(load_default=False, metadata={
        "description": "recuse from every request of the case (自行回避), for this reason"})


class ManualAssignmentSchema(Schema):
    request_id = Id(required=True)
    expert_id = Id(required=True)
    note = fields.Str(load_default="", validate=validate.Length(max=300),
                      metadata={"description": "why this expert (kept in the reasons)"})


# Built once (see schemas/cases.py); what each user reads: services/access.assignment_views.
assignment_schema, assignment_page_schema = AssignmentSchema(), AssignmentPageSchema()
assignment_schema_for_bodies = AssignmentSchema(exclude=("reasons",))
assignment_page_schema_for_bodies = AssignmentPageSchema(exclude=("items.reasons",))
