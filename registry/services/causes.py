"""Causes of action (案由): the seeded list, a case's cause, and rule `case_type`: which case
types technical investigators may serve (SPC 2019 Art. 1; CNIPA 2021 for administrative
adjudication). docs/cases.md."""

from sqlalchemy import select

from registry.extensions import db
from registry.models import Case, CaseKind, DomainError, ExpertRole
from registry.models.causes import CauseOfAction
from registry.services.seeding import read_csv, upsert
from scheduler import rules

CASE_TYPE = rules.rule("case_type")


def cause_rows() -> list[dict]:
    return [{"code": row["code"], "name_zh": row["name_zh"], "name_en": row["name_en"],
             "category": row["category"], "kinds": row["kinds"],
             "investigators": row["investigators"] == "yes"} for row in read_csv("causes.csv")]


def load_causes() -> int:
    """Upsert seeds/causes.csv; return how many causes were new."""
    return upsert(CauseOfAction, "code", cause_rows())


def all_causes() -> list[CauseOfAction]:
    return list(db.session.scalars(select(CauseOfAction).order_by(CauseOfAction.code)))


def cause_choices(english: bool) -> list[tuple[str, str]]:
    """(code, label) for the case form; the label says whether investigators may serve."""
    return [(cause.code, cause_label(cause, english)) for cause in all_causes()]


def cause_label(cause: CauseOfAction | None, english: bool) -> str:
    if cause is None:
        return ""
    return cause.name_en if english else cause.name_zh


def set_cause(case: Case, code: str | None) -> None:
    """Give the case its cause of action, one of the seeded list fitting its kind."""
    if not code:
        return
    cause = db.session.get(CauseOfAction, code)
    if cause is None:
        raise DomainError("unknown cause of action {cause!r}", field="cause", cause=code)
    if not cause.applies_to(CaseKind(case.kind).value):
        raise DomainError("{cause} is not a cause of {kind} cases", field="cause",
                          cause=cause.name_zh, kind=CaseKind(case.kind).value)
    case.cause = cause


def check_case_type(case: Case, role) -> None:
    """Rule case_type: refuse a technical investigator where the case type is not open, and
    arbitrators anywhere but an arbitration (they sit on its tribunal)."""
    if ExpertRole(role) is ExpertRole.ARBITRATOR and case.kind != CaseKind.ARBITRATION:
        raise DomainError("arbitrators sit on arbitration tribunals: a {kind} case takes a "
                          "technical investigator or consultant", field="role",
                          kind=case.kind.value)
    if ExpertRole(role) is not ExpertRole.INVESTIGATOR or case.investigators_allowed:
        return
    if case.kind == CaseKind.ARBITRATION:
        raise DomainError(
            "technical investigators serve courts and IP administrations, not arbitration "
            "(rule {rule}: {source}); request arbitrators instead", field="role",
            rule=CASE_TYPE.key, source=CASE_TYPE.source)
    raise DomainError(
        "technical investigators are not offered on {cause} cases (rule {rule}: {source}): "
        "only patent, plant-variety, IC layout-design, technical-secret, computer-software "
        "and monopoly cases, and in administrative adjudication patent and IC layout-design "
        "disputes", field="role", cause=case.cause.name_zh, rule=CASE_TYPE.key,
        source=CASE_TYPE.source)


def roles_offered(case: Case, roles: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The role choices of a request form: what check_case_type lets the case request."""
    def offered(role: str) -> bool:
        try:
            check_case_type(case, role)
        except DomainError:
            return False
        return True
    return [(value, text) for value, text in roles if offered(value)]
