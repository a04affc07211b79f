"""The demo registry's disclosures (docs/disclosure.md): an arbitrator appointed twice within
the year by one party of a group, proposed again on two new cases of that party (one
disclosure answered, one pending), and an arbitrator from the firm acting as counsel,
proposed with the parties' written waiver recorded.

Called by services/demo.py after the demo registry is built: `seed_disclosures_demo(today)`.
"""

import itertools
from datetime import date, datetime, timedelta

from sqlalchemy import select

from registry.extensions import db
from registry.models import (
    Affiliation,
    Assignment,
    AssignmentStatus,
    Case,
    CaseKind,
    DispatchRequest,
    Expert,
    ExpertRole,
    ExpertRoleGrant,
    ExpertStatus,
    Organization,
    OrganizationKind,
    Party,
    PartyRole,
    RequestStatus,
    Service,
    User,
    UserRole,
)
from registry.models.base import LOCAL_TIME
from registry.services import disclosures

DEMO_FILE_NUMBER = "（{year}）深国仲受{seq}号"  # SCIA's shape (services/demo.py FILE_NUMBERS)


def days_ago(days: int) -> datetime:
    """A timestamp `days` before now (demo data and tests date past appointments with it)."""
    return datetime.now(LOCAL_TIME) - timedelta(days=days)


def seed_disclosures_demo(today: date | None = None) -> dict[str, int]:
    """Add to the demo registry (after demo.build, same transaction) an arbitrator appointed
    twice within the year on cases of one party of the 华南电子 group, proposed again on two
    new cases of that party: one disclosure answered (the parties' no-objection recorded,
    audited), one pending; and an arbitrator from the firm acting as counsel, proposed with
    the parties' written waiver recorded. Nothing when there is no SCIA or no arbitrator."""
    today = today or date.today()
    body = db.session.scalar(select(Organization).where(Organization.registry_id == "scia"))
    arbitrators = list(db.session.scalars(
        select(Expert).join(ExpertRoleGrant)
        .where(ExpertRoleGrant.role == ExpertRole.ARBITRATOR,
               Expert.status == ExpertStatus.ACTIVE,
               Expert.jurisdiction_code == (body.jurisdiction_code if body else None),
               ~Expert.id.in_(select(Assignment.expert_id)))
        .order_by(Expert.id).limit(2)))
    if body is None or len(arbitrators) < 2:
        return {"cases": 0, "waivers": 0}
    repeat, lawyer = arbitrators
    actor = db.session.scalar(select(User).where(User.role == UserRole.ADMIN)
                              .order_by(User.id))
    group = Organization(name="华南电子集团有限公司", kind=OrganizationKind.COMPANY,
                         city_code=body.city_code)
    db.session.add(group)
    db.session.flush()
    party = Organization(name="华南电子（深圳）有限公司", kind=OrganizationKind.COMPANY,
                         city_code=body.city_code, parent_id=group.id)
    rival, *earlier_rivals = (
        Organization(name=name, kind=OrganizationKind.COMPANY, city_code=body.city_code)
        for name in ("北辰通信技术有限公司", "东海微电子有限公司", "西岭网络科技有限公司"))
    firm = Organization(name="前海明德律师事务所", kind=OrganizationKind.LAW_FIRM,
                        city_code=body.city_code)
    lawyer.affiliations.append(Affiliation(organization=firm, role="partner"))
    sequence = itertools.count(9001)

    def arbitration(year: int, status=RequestStatus.PROPOSED,
                    respondent: Organization = rival) -> DispatchRequest:
        case = Case(handling_body=body, kind=CaseKind.ARBITRATION,
                    title=f"华南电子诉{respondent.name[:4]}专利许可合同纠纷", requests=[])
        case.set_number(DEMO_FILE_NUMBER.format(year=year, seq=next(sequence)), today)
        case.set_fields(["H04L"])
        case.parties = [Party(organization=party, role=PartyRole.CLAIMANT, counsel=firm),
                        Party(organization=respondent, role=PartyRole.RESPONDENT)]
        request = DispatchRequest(case=case, role=ExpertRole.ARBITRATOR, seats=1,
                                  service=Service.ARBITRATION, city_code=body.city_code)
        request.status = status
        db.session.add(request)
        return request

    for months, respondent in zip((8, 14), earlier_rivals, strict=True):
        past = arbitration(today.year - 1, RequestStatus.COMPLETED, respondent)
        db.session.add(Assignment(request=past, expert=repeat,
                                  status=AssignmentStatus.COMPLETED,
                                  created_at=days_ago(months * 30), reasons=["demo"]))
    answered, pending, waived = (arbitration(today.year) for _ in range(3))
    for request, expert in ((answered, repeat), (pending, repeat), (waived, lawyer)):
        db.session.add(Assignment(request=request, expert=expert, reasons=["demo"]))
    db.session.flush()
    answers = [(answered, repeat, {"rule": "repeat_party_appointments", "kind": "no_objection",
                                   "party": "申请人华南电子（深圳）有限公司、"
                                            "被申请人北辰通信技术有限公司",
                                   "document": "披露通知回执（双方均无异议）"}),
               (waived, lawyer, {"rule": "same_firm_as_counsel", "kind": "written_waiver",
                                 "party": "全体当事人",
                                 "document": "当事人书面弃权声明（仲裁员与申请人代理律师同所）"})]
    for request, expert, data in answers:
        data.update(given_on=today, scope="request")
        if actor is not None:
            disclosures.record_waiver(request, expert, data, actor)
    return {"cases": 5, "waivers": len(answers) if actor is not None else 0}
