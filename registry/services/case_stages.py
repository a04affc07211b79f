"""A case's earlier stage: who may link it, linking it later, the warning on an appeal or
retrial without it, and the registry's suggestions for it (issue 9 item 5, docs/cases.md).

Rule `one_procedure` (SPC 2019 Art. 5): an investigator who served at one stage of a dispute
may not serve at another; the registry can only apply it to stages it knows are linked.
"""

from sqlalchemy import func, select

from registry.extensions import db
from registry.models import Case, CaseStage, DomainError, Party, User
from registry.schemas.common import MAX_ID
from registry.services import permissions as may
from registry.services.audit import record
from scheduler import rules
from scheduler.domain import any_field_matches

ONE_PROCEDURE = rules.rule("one_procedure")
MAX_SUGGESTIONS = 5
# The stages an earlier stage may have: an appeal's is a first instance; a retrial's either.
EARLIER_STAGES = {CaseStage.SECOND_INSTANCE: (CaseStage.FIRST_INSTANCE,),
                  CaseStage.RETRIAL: (CaseStage.FIRST_INSTANCE, CaseStage.SECOND_INSTANCE)}


def linkable_case(body, earlier_id: int, actor: User) -> Case:
    """The case `earlier_id` if the actor may link it to a case of `body`; otherwise the same
    refusal whether it exists or not (another court's ids reveal nothing)."""
    fits = isinstance(earlier_id, int) and 0 < earlier_id <= MAX_ID
    earlier = db.session.get(Case, earlier_id) if fits else None
    if earlier is None or not may.can_link_earlier_stage(actor, body, earlier):
        raise DomainError("no case {case_id} that you may link as the earlier stage: a "
                          "court links its own cases and, as an appeal court, those of the "
                          "courts below it in its area", field="earlier_stage_id",
                          case_id=earlier_id)
    return earlier


def check_no_cycle(case: Case, earlier: Case) -> None:
    if earlier.id == case.id or (case.id is not None and case.id in
                                 {stage.id for stage in earlier.earlier_stages()}):
        raise DomainError("{number} cannot be the earlier stage of {case_number}: it would "
                          "make the case its own earlier stage", field="earlier_stage_id",
                          number=earlier.number, case_number=case.number)


def link_earlier_stage(case: Case, earlier_id: int | None, actor: User) -> Case:
    """Link (or, with None, unlink) the case's earlier stage; audited with before and after."""
    may.allow(may.can_file_for(actor, case.handling_body), "you cannot file for that body")
    before = case.earlier_stage_id
    if earlier_id is None:
        case.earlier_stage = None
    else:
        earlier = linkable_case(case.handling_body, earlier_id, actor)
        check_no_cycle(case, earlier)
        case.earlier_stage = earlier
    db.session.flush()
    record(actor, "link_earlier_stage", "case", case.id, before={"earlier_stage": before},
           after={"earlier_stage": case.earlier_stage_id})
    return case


def warnings_for(case: Case) -> list[dict]:
    """What the case's clerk should know: an appeal or retrial without its earlier stage."""
    if not case.missing_earlier_stage:
        return []
    return [{"rule": ONE_PROCEDURE.key, "title_zh": ONE_PROCEDURE.title_zh,
             "title_en": ONE_PROCEDURE.title_en, "source": ONE_PROCEDURE.source,
             "message": "this appeal or retrial is not linked to its earlier stage, so experts "
                        "who served there are not kept off it; link the earlier stage if the "
                        "registry holds it (it may be at a court outside the registry)"}]


def suggest_earlier_stages(case: Case, user: User) -> list[Case]:
    """Cases the user could link as the missing earlier stage: an earlier stage of the same
    kind, with the same parties (two in common, or all when fewer) and an overlapping
    technical field, in the user's linking scope; nearest first."""
    if not case.missing_earlier_stage:
        return []
    organizations = {p.organization_id for p in case.parties if p.organization_id}
    if not organizations:
        return []
    shared = (select(Party.case_id).where(Party.organization_id.in_(organizations))
              .group_by(Party.case_id)
              .having(func.count(Party.organization_id.distinct())
                      >= min(2, len(organizations))))
    query = may.scope_linkable_cases(
        select(Case).where(Case.id != case.id, Case.kind == case.kind,
                           Case.stage.in_(EARLIER_STAGES[case.stage]), Case.id.in_(shared))
        .order_by(Case.id.desc()).limit(50), user)
    return [c for c in db.session.scalars(query)
            if fields_overlap(c.field_codes, case.field_codes)
            and may.can_link_earlier_stage(user, case.handling_body, c)][:MAX_SUGGESTIONS]


def fields_overlap(codes: list[str], others: list[str]) -> bool:
    """One field within the other's IPC subtree (G06 and G06F overlap; G06F and H04L don't)."""
    return any_field_matches(codes, others)


def with_suggestions(case: Case, user: User) -> Case:
    """The case as its JSON shows it, with the earlier stages the user could link."""
    case.earlier_stage_suggestions = [suggestion(c) for c in suggest_earlier_stages(case, user)]
    return case


def suggestion(case: Case) -> dict:
    return {"id": case.id, "number": case.number, "title": case.title,
            "handling_body": case.handling_body.name, "stage": case.stage.value}
