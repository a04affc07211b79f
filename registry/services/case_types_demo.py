"""Demo data for issue 9 items 5 and 8: causes of action on the demo cases, a Hong Kong court
case, a trademark case (no investigators, rule case_type) and an appeal filed without its
first instance (warning and suggestion, rule one_procedure). Called after demo.build."""

from datetime import date

from sqlalchemy import select

from registry.extensions import db
from registry.models import Case, CaseKind, ExpertRole, Organization, OrganizationKind, Party
from registry.models.causes import CauseOfAction
from registry.services.causes import load_causes

# The demo's dispute titles (demo.DISPUTES) -> the cause they name.
CAUSE_OF_TITLE = (("侵害发明专利权纠纷", "patent_invention_infringement"),
                  ("侵害实用新型专利权纠纷", "patent_utility_infringement"),
                  ("侵害技术秘密纠纷", "technical_secret"),
                  ("侵害计算机软件著作权纠纷", "software_copyright"),
                  ("技术合同纠纷", "technology_contract"),
                  ("侵犯发明专利权纠纷", "adj_patent_infringement"),
                  ("侵犯实用新型专利权纠纷", "adj_patent_infringement"),
                  ("专利实施许可合同争议", "patent_contract"),
                  ("技术许可合同争议", "technology_contract"),
                  ("技术开发合同争议", "technology_contract"))


def seed_case_types_demo(today: date | None = None) -> dict[str, int]:
    """Give the demo cases their causes and add the three showcase cases; idempotent."""
    today = today or date.today()
    load_causes()
    causes = {cause.code: cause for cause in db.session.scalars(select(CauseOfAction))}
    counts = {"causes given": give_causes(causes), "cases added": 0}
    bodies = {b.registry_id: b for b in db.session.scalars(
        select(Organization).where(Organization.registry_id.in_(("hk_cfi", "sh_pudong",
                                                                 "sh_ipc"))))}
    for make in (hong_kong_case, trademark_case, appeal_without_first_instance):
        counts["cases added"] += make(bodies, causes, today)
    db.session.flush()
    return counts


def give_causes(causes: dict) -> int:
    """A cause from each demo case's title; none where it would close investigator requests
    the case already has (a demo technology contract with an investigator stays unrecorded)."""
    given = 0
    for case in db.session.scalars(select(Case).where(Case.cause_code.is_(None))):
        code = next((code for words, code in CAUSE_OF_TITLE if words in case.title), None)
        cause = causes.get(code)
        if cause is None or not cause.applies_to(CaseKind(case.kind).value):
            continue
        if not cause.investigators and any(r.role is ExpertRole.INVESTIGATOR
                                           for r in case.requests):
            continue
        case.cause, given = cause, given + 1
    return given


def companies(city_codes: tuple[str, ...], count: int = 2) -> list[Organization]:
    return list(db.session.scalars(
        select(Organization).where(Organization.kind == OrganizationKind.COMPANY,
                                   Organization.city_code.in_(city_codes))
        .order_by(Organization.id).limit(count)))


def add_case(body, number: str, causes: dict, cause: str, title: str, parties, fields,
             roles=("plaintiff", "defendant"), kind=CaseKind.CIVIL, today=None) -> int:
    if body is None or len(parties) < 2 or db.session.scalar(
            select(Case.id).where(Case.number == number)):
        return 0
    case = Case(handling_body=body, kind=kind, title=title, cause=causes[cause])
    case.set_number(number, today)
    case.set_fields(fields)
    case.parties = [Party(organization=org, role=role)
                    for org, role in zip(parties, roles, strict=False)]
    db.session.add(case)
    return 1


def hong_kong_case(bodies, causes, today) -> int:
    return add_case(bodies.get("hk_cfi"), f"HCA 2417/{today.year}", causes,
                    "patent_invention_infringement", "发明专利侵权诉讼（香港高等法院原讼法庭）",
                    companies(("hongkong",)) or companies(("shenzhen",)), ["H04W"],
                    today=today)


def trademark_case(bodies, causes, today) -> int:
    return add_case(bodies.get("sh_pudong"), f"（{today.year}）沪0115知民初1188号", causes,
                    "trademark_infringement", "侵害商标权纠纷（不指派技术调查官）",
                    companies(("shanghai",)), ["G06Q"], today=today)


def appeal_without_first_instance(bodies, causes, today) -> int:
    """A Pudong first instance and its appeal at the Shanghai IP Court, not linked: the demo
    clerk of the IP court sees the warning and links it in one click."""
    parties = companies(("shanghai",), 4)[2:]
    first = add_case(bodies.get("sh_pudong"), f"（{today.year - 1}）沪0115知民初906号", causes,
                     "software_copyright", "侵害计算机软件著作权纠纷", parties, ["G06F"],
                     today=today)
    appeal = add_case(bodies.get("sh_ipc"), f"（{today.year}）沪73知民终77号", causes,
                      "software_copyright", "侵害计算机软件著作权纠纷（二审，未关联一审）",
                      parties, ["G06F"], roles=("appellant", "appellee"), today=today)
    return first + appeal
