"""A realistic demo registry, the same every time for a given seed and day.

Experts spread over the 52 YRD and GBA cities (investigators mostly in the YRD, arbitrators
mostly in the GBA), the companies, universities and law firms they work for, cases with valid
case numbers and their parties, open dispatch requests over the next two months, a few
exclusions and confirmed assignments, and one login per user group.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from registry.extensions import db
from registry.models import (
    Affiliation,
    Assignment,
    AssignmentStatus,
    AttendanceDays,
    Case,
    CaseKind,
    CaseStage,
    City,
    CreditKind,
    CreditRecord,
    DeclaredConflict,
    DispatchRequest,
    DomainError,
    Exclusion,
    ExclusionReason,
    Expert,
    ExpertRole,
    ExpertStatus,
    IpcField,
    Organization,
    OrganizationKind,
    Party,
    PartyRole,
    RecognitionAgreement,
    RequestStatus,
    Service,
    Unavailability,
    User,
    sync_request_status,
)
from registry.services import accounts
from registry.services.seeding import DEMO_PASSWORD, DEMO_USERS, read_csv
from scheduler.domain import any_field_matches, great_circle_km

K = OrganizationKind
INVESTIGATOR, ARBITRATOR, CONSULTANT = (role.value for role in ExpertRole)


@dataclass
class Demo:
    """What the generator knows: the random source, the day, and the rows built so far."""

    rng: random.Random
    today: date
    cities: dict[str, City]
    bodies: dict[str, Organization]                  # handling bodies by registry_id
    region_of: dict[str, str]                        # jurisdiction code -> agreement code
    specialties: dict[str, list[str]]                # specialty -> IPC codes we have
    orgs: dict[tuple[str, K], list[Organization]] = field(default_factory=dict)
    industry: dict[int, str] = field(default_factory=dict)  # id(company) -> specialty
    users: dict[str, User] = field(default_factory=dict)    # by email
    counters: dict[tuple, int] = field(default_factory=dict)

    def jurisdiction(self, organization: Organization) -> str:
        return self.cities[organization.city_code].jurisdiction_code

    def days_from_today(self, low: int, high: int) -> date:
        return self.today + timedelta(days=self.rng.randint(low, high))


def build(experts: int = 400, seed: int = 7, today: date | None = None) -> dict[str, int]:
    """Add the demo registry unless its admin exists; return how many rows of each were made."""
    names = ("organizations", "experts", "users", "cases", "requests", "exclusions",
             "assignments")
    if db.session.scalar(select(User.id).where(User.email == DEMO_USERS[0][0])) is not None:
        return dict.fromkeys(names, 0)
    demo = load_context(random.Random(seed), today or date.today())
    organizations = make_organizations(demo)
    db.session.add_all(organizations)
    db.session.flush()
    roster = make_experts(demo, experts)
    db.session.add_all(roster)
    db.session.flush()
    users = make_users(demo, roster[0])
    cases = make_cases(demo, max(8, experts // 4))
    requests = [request for case in cases for request in make_requests(demo, case)]
    exclusions = make_exclusions(demo, requests, roster)
    assignments = make_assignments(demo, requests, roster)
    db.session.add_all(cases)
    db.session.flush()
    return dict(zip(names, (len(organizations), len(roster), len(users), len(cases),
                            len(requests), len(exclusions), len(assignments)), strict=True))


def add_legal_showcase(today: date) -> None:
    """One case of each situation the law adds (docs/rules.md), through the services that
    record them, on top of what `build` generated: rosters, causes of action and a Hong Kong
    court case, natural persons, a challenge and a recusal, disclosures with a waiver, holiday
    attendance and an urgent preservation, and a seat flagged by a later conflict. Each step
    is idempotent. Kept apart from `build`, whose generated registry has invariants of its own
    (tests/test_seeding.py) that some showcase cases break on purpose (an unlinked appeal)."""
    from registry.services.calendar_demo import seed_calendar_demo
    from registry.services.case_types_demo import seed_case_types_demo
    from registry.services.disclosures_demo import seed_disclosures_demo
    from registry.services.flags_demo import seed_flags_demo
    from registry.services.panels import seed_panels_demo
    from registry.services.persons_demo import seed_persons_demo
    from registry.services.recusals_demo import seed_recusals_demo

    seed_panels_demo()
    seed_case_types_demo(today)
    seed_persons_demo()
    seed_recusals_demo(today)
    seed_disclosures_demo(today)
    seed_calendar_demo(today)
    seed_flags_demo()


def load_context(rng: random.Random, today: date) -> Demo:
    cities = {city.code: city for city in db.session.scalars(select(City).order_by(City.code))}
    if not cities:
        raise DomainError("load the reference data (flask seed) before the demo registry")
    bodies = {body.registry_id: body for body in db.session.scalars(
        select(Organization).where(Organization.kind.in_([K.COURT, K.IP_ADMINISTRATION,
                                                          K.ARBITRATION_INSTITUTION]))
        .order_by(Organization.registry_id)) if body.registry_id}
    region_of = {member.code: agreement.code
                 for agreement in db.session.scalars(select(RecognitionAgreement))
                 for member in agreement.members}
    return Demo(rng, today, cities, bodies, region_of, load_specialties())


def load_specialties() -> dict[str, list[str]]:
    """Each specialty with the seeded IPC subclasses (else classes) its prefixes cover."""
    fields = db.session.execute(select(IpcField.code, IpcField.level)).all()
    specialties = {}
    for row in read_csv("specialties.csv"):
        prefixes = row["ipc_prefixes"].split(";")
        for level in ("subclass", "class"):
            codes = sorted(code for code, lvl in fields
                           if lvl == level and any_field_matches([code], prefixes))
            if codes:
                specialties[row["code"]] = codes
                break
    return specialties


# -- organizations ---------------------------------------------------------------------------

def make_organizations(demo: Demo) -> list[Organization]:
    made = []
    for jurisdiction, per_kind in ORGANIZATIONS_PER_JURISDICTION.items():
        for kind, count in zip((K.COMPANY, K.UNIVERSITY, K.RESEARCH_INSTITUTE, K.LAW_FIRM),
                               per_kind, strict=True):
            for _ in range(count):
                made.append(new_organization(demo, jurisdiction, kind))
    return made


def new_organization(demo: Demo, jurisdiction: str, kind: K) -> Organization:
    rng = demo.rng
    city = pick_city(demo, jurisdiction)
    specialty = rng.choice(sorted(demo.specialties))
    name, name_en = organization_name(rng, city, kind, specialty)
    while any(o.name == name for o in demo.orgs.get((jurisdiction, kind), ())):
        name, name_en = organization_name(rng, city, kind, specialty)
    organization = Organization(name=name, name_en=name_en, kind=kind, city_code=city.code,
                                registry_id=registry_id(rng, city, kind))
    demo.orgs.setdefault((jurisdiction, kind), []).append(organization)
    demo.industry[id(organization)] = specialty
    return organization


def pick_city(demo: Demo, jurisdiction: str | None = None) -> City:
    cities = [c for c in demo.cities.values()
              if c.jurisdiction_code == jurisdiction
              or (jurisdiction is None and c.jurisdiction_code in demo.region_of)]
    weights = [CITY_WEIGHTS.get(c.code, 1.5) for c in cities]
    return demo.rng.choices(cities, weights)[0]


def some_org(demo: Demo, jurisdiction: str, kind: K) -> Organization:
    """An organization of that kind, near home when there is one, else elsewhere in the region."""
    near = demo.orgs.get((jurisdiction, kind))
    if near:
        return demo.rng.choice(near)
    region = demo.region_of.get(jurisdiction)
    return demo.rng.choice([o for (j, k), orgs in demo.orgs.items() for o in orgs
                            if k is kind and demo.region_of.get(j) == region])


# -- experts ---------------------------------------------------------------------------------

def make_experts(demo: Demo, count: int) -> list[Expert]:
    cities = sorted((c for c in demo.cities.values() if c.jurisdiction_code in demo.region_of),
                    key=lambda c: c.code)
    roster = [demo_expert(demo)]
    for i in range(1, count):
        # With enough experts, every city gets at least one; then big cities get more.
        city = cities[i - 1] if count >= 2 * len(cities) and i <= len(cities) else pick_city(demo)
        roster.append(new_expert(demo, city, i))
    records = CREDIT_RECORDS[:max(0, len(roster) - 1)]
    for expert, record in zip(demo.rng.sample(roster[1:], len(records)), records, strict=True):
        add_credit_record(demo, expert, record)
    return roster


def demo_expert(demo: Demo) -> Expert:
    """The expert behind the demo expert login: a current Shanghai IP Court investigator."""
    expert = new_expert(demo, demo.cities["shanghai"], 0)
    expert.set_roles([INVESTIGATOR])
    expert.set_fields({"G06F": 3, "H04L": 2})
    expert.appointing_body = demo.bodies["sh_ipc"]
    expert.appointed_from = demo.today - timedelta(days=400)
    expert.appointed_until = demo.today + timedelta(days=700)
    expert.status = ExpertStatus.ACTIVE
    expert.max_concurrent, expert.unavailability = 4, []
    return expert


def new_expert(demo: Demo, city: City, number: int) -> Expert:
    rng, jurisdiction = demo.rng, city.jurisdiction_code
    name, email = person(rng, number)
    roles = pick_roles(rng, jurisdiction)
    start, until = appointment_term(rng, demo.today)
    expert = Expert(
        name=name, home_city_code=city.code, jurisdiction_code=jurisdiction,
        appointing_body=appointing_body(demo, city, roles), appointed_from=start,
        appointed_until=until, status=pick_status(rng),
        max_concurrent=rng.randint(2, 5), max_travel_km=travel_km(rng, jurisdiction),
        email=email, phone=phone(rng, jurisdiction),
        affiliations=[], conflicts=[], unavailability=[], credit_records=[])
    expert.set_roles(roles)
    # Arbitrators on IP panels tend to cover broader ground than investigators.
    fields = pick_fields(demo) | (pick_fields(demo) if ARBITRATOR in roles else {})
    expert.set_fields(fields)
    expert.set_languages(pick_languages(rng, jurisdiction))
    add_declarations(demo, expert, ARBITRATOR in roles)
    return expert


def appointing_body(demo: Demo, city: City, roles: list[str]) -> Organization:
    jurisdiction = city.jurisdiction_code
    if ARBITRATOR in roles:
        wanted = {K.ARBITRATION_INSTITUTION}
    else:
        wanted = {K.COURT, K.IP_ADMINISTRATION}
    bodies = [b for b in demo.bodies.values()
              if b.kind in wanted and demo.jurisdiction(b) == jurisdiction
              and b.registry_id not in NO_EXPERT_ROSTER]
    if not bodies:  # Macao has no arbitration institution: SCIA's roster includes Macao
        bodies = [demo.bodies[FALLBACK_APPOINTER[jurisdiction]]]
    weights = [3.0 if b.city_code == city.code else 1.0 for b in bodies]
    weights = [w * BODY_WEIGHTS.get(b.registry_id, 1) for w, b in zip(
        weights, bodies, strict=True)]
    return demo.rng.choices(bodies, weights)[0]


def pick_fields(demo: Demo, specialty: str | None = None) -> dict[str, int]:
    rng = demo.rng
    codes, weights = zip(*specialty_weights(demo.specialties), strict=True)
    specialty = specialty or rng.choices(codes, weights)[0]
    codes = demo.specialties[specialty]
    chosen = rng.sample(codes, min(len(codes), rng.choice((1, 1, 2, 2, 3))))
    return {code: rng.choices((1, 2, 3), (2, 4, 3))[0] for code in chosen}


# -- users -----------------------------------------------------------------------------------

def make_users(demo: Demo, expert: Expert) -> list[User]:
    """The demo logins; they share one password, so they share one (slow to compute) hash."""
    password_hash = generate_password_hash(DEMO_PASSWORD)
    for email, role, scope, _description in DEMO_USERS:
        if role == "expert":
            scope = {"expert_id": expert.id}
        user = accounts.build_user(email, role, **scope)
        user.password_hash = password_hash
        demo.users[email] = accounts.add_user(user)
    return list(demo.users.values())


# -- cases and requests ----------------------------------------------------------------------

def make_cases(demo: Demo, count: int) -> list[Case]:
    weights = {code: w for code, w in CASE_BODY_WEIGHTS.items() if code in demo.bodies}
    cases = []
    for _ in range(count):
        body = demo.bodies[demo.rng.choices(list(weights), list(weights.values()))[0]]
        cases.append(new_case(demo, body))
        high = HIGH_COURTS.get(demo.jurisdiction(body))
        if body.kind is K.COURT and high in demo.bodies and demo.rng.random() < 0.15:
            cases.append(appeal(demo, cases[-1], demo.bodies[high]))
    return cases


def new_case(demo: Demo, body: Organization) -> Case:
    rng, jurisdiction = demo.rng, demo.jurisdiction(body)
    kind = CASE_KIND_OF_BODY[body.kind]
    plaintiff = some_org(demo, jurisdiction, K.COMPANY)
    specialty = demo.industry[id(plaintiff)]
    defendant = opponent(demo, plaintiff, members(demo, jurisdiction))
    case = Case(handling_body=body, kind=kind, stage=CaseStage.FIRST_INSTANCE,
                confidential=rng.random() < (0.5 if kind is CaseKind.ARBITRATION else 0.1),
                title=case_title(rng, kind, specialty, plaintiff, defendant), requests=[])
    year = demo.today.year - 1 if rng.random() < 0.4 else demo.today.year
    case.set_number(case_number(demo, body, "民初", year), demo.today)
    case.set_fields(pick_fields(demo, specialty))
    first_counsel = some_org(demo, demo.jurisdiction(plaintiff), K.LAW_FIRM)
    second_counsel = some_org(demo, demo.jurisdiction(defendant), K.LAW_FIRM)
    while second_counsel is first_counsel:  # a firm acts for one side only
        second_counsel = some_org(demo, rng.choice(members(demo, jurisdiction)), K.LAW_FIRM)
    case.parties = [Party(organization=org, role=role, counsel=counsel)
                    for org, role, counsel in zip((plaintiff, defendant), PARTY_ROLES[kind],
                                                  (first_counsel, second_counsel), strict=True)]
    return case


def opponent(demo: Demo, plaintiff: Organization, jurisdictions: list[str]) -> Organization:
    """Mostly a competitor in the plaintiff's field, somewhere in the region."""
    companies = [o for j in jurisdictions for o in demo.orgs.get((j, K.COMPANY), ())
                 if o is not plaintiff]
    rivals = [o for o in companies if demo.industry[id(o)] == demo.industry[id(plaintiff)]]
    return demo.rng.choice(rivals if rivals and demo.rng.random() < 0.7 else companies)


def appeal(demo: Demo, first: Case, court: Organization) -> Case:
    """The second instance of `first` at the provincial high court."""
    case = Case(handling_body=court, kind=first.kind, stage=CaseStage.SECOND_INSTANCE,
                earlier_stage=first, confidential=first.confidential, requests=[],
                title=f"{first.title}（二审）")
    case.set_number(case_number(demo, court, "民终", demo.today.year), demo.today)
    case.set_fields(first.field_codes)
    case.parties = [Party(organization=p.organization, counsel=p.counsel, role=role)
                    for p, role in zip(first.parties, (PartyRole.APPELLANT, PartyRole.APPELLEE),
                                       strict=True)]
    return case


def case_number(demo: Demo, body: Organization, type_code: str, year: int) -> str:
    """The next number for the body, type and year; sequences start part-way through the year."""
    key = (body.registry_id, type_code, year)
    sequence = demo.counters.get(key) or demo.rng.randint(40, 900)
    demo.counters[key] = sequence + demo.rng.randint(1, 25)
    if body.kind is K.COURT:
        return f"（{year}）{body.case_number_code}知{type_code}{sequence}号"
    pattern = FILE_NUMBERS.get(body.registry_id, "{name}〔{year}〕{seq}号")
    return pattern.format(name=body.name[:4], year=year, seq=sequence)


def members(demo: Demo, jurisdiction: str) -> list[str]:
    region = demo.region_of.get(jurisdiction)
    return sorted(j for j, r in demo.region_of.items() if r == region) or [jurisdiction]


def make_requests(demo: Demo, case: Case) -> list[DispatchRequest]:
    rng = demo.rng
    count = 2 if rng.random() < 0.2 else 1
    services = SERVICES_BY_KIND[case.kind]
    services = rng.sample(services, min(count, len(services)))
    clerk = next((u for u in demo.users.values() if u.body_id == case.handling_body.id), None)
    return [new_request(demo, case, service, clerk) for service in services]


def new_request(demo: Demo, case: Case, service: Service, clerk: User | None):
    rng, arbitration = demo.rng, service is Service.ARBITRATION
    request = DispatchRequest(
        case=case, service=service, city_code=case.handling_body.city_code,
        role=ExpertRole.ARBITRATOR if arbitration else ExpertRole.INVESTIGATOR,
        seats=(3 if rng.random() < 0.75 else 1) if arbitration else 1,
        remote_allowed=service in DESK_SERVICES or rng.random() < 0.15,
        priority=5 if service is Service.EVIDENCE_PRESERVATION else rng.choices(
            range(1, 6), (1, 2, 5, 2, 1))[0],
        language=pick_request_language(rng, case.handling_body.registry_id),
        note=REQUEST_NOTES[service], created_by_id=clerk.id if clerk else None,
        status=RequestStatus.SUBMITTED, exclusions=[], assignments=[])
    request.check_seats()
    request.days = attendance(demo, service)
    return request


def attendance(demo: Demo, service: Service) -> list[AttendanceDays]:
    """When the expert must be there: none for desk work, soon for preservation."""
    if service in DESK_SERVICES:
        return []
    if service is Service.EVIDENCE_PRESERVATION:
        start = demo.days_from_today(1, 4)
    else:
        start = demo.days_from_today(3, 60) if demo.rng.random() < 0.85 \
            else demo.days_from_today(61, 120)
    length = demo.rng.choice(DAYS_NEEDED[service])
    return [AttendanceDays(start=start, end=start + timedelta(days=length - 1))]


# -- exclusions and assignments --------------------------------------------------------------

def make_exclusions(demo: Demo, requests: list[DispatchRequest], roster: list[Expert]):
    made = []
    for request in demo.rng.sample(requests, max(2, len(requests) // 25)):
        candidates = eligible(demo, request, roster, {})
        if candidates:
            reason = demo.rng.choice((ExclusionReason.CHALLENGE, ExclusionReason.RECUSAL))
            made.append(Exclusion(request=request, expert=demo.rng.choice(candidates),
                                  reason=reason, note=EXCLUSION_NOTES[reason]))
    return made


def make_assignments(demo: Demo, requests: list[DispatchRequest], roster: list[Expert]):
    """Confirm a few requests by hand, the demo expert's and the demo clerks' first."""
    rng, busy, made = demo.rng, {}, []
    clerk_bodies = {u.body_id for u in demo.users.values() if u.body_id}
    ordered = sorted(requests, key=lambda r: r.case.handling_body.id not in clerk_bodies)
    picked = ordered[:4] + rng.sample(ordered[4:], min(max(0, len(ordered) - 4),
                                                       len(requests) // 20))
    coordinators = {u.region: u for u in demo.users.values() if u.region}
    for request in picked:
        candidates = eligible(demo, request, roster, busy)
        panel = independent_panel(rng, candidates, request.seats, roster[0])
        if len(panel) < request.seats:
            continue
        region = demo.region_of.get(demo.jurisdiction(request.case.handling_body))
        coordinator = coordinators.get(region)
        for expert in panel:
            made.append(Assignment(request=request, expert=expert, reasons=["demo"],
                                   status=AssignmentStatus.PROPOSED,
                                   coordinator_id=coordinator.id if coordinator else None))
            busy.setdefault(id(expert), []).append(request)
        sync_request_status(request)
        accept = rng.random() < 0.5
        for assignment in request.assignments:
            assignment.confirm()
            if accept:
                assignment.accept()
    return made + work_to_answer(demo, requests, roster[0], busy, coordinators)


def work_to_answer(demo: Demo, requests: list[DispatchRequest], expert: Expert, busy: dict,
                   coordinators: dict) -> list[Assignment]:
    """Confirmed work with attendance days that the demo expert has yet to accept or decline.

    Two such assignments, so that the demo (and the expert's browser journey) can accept one
    and decline the other: taken from requests nobody holds yet, soonest first, those of the
    bodies without a demo clerk first. No random draws, so the rest of the demo is unchanged.
    """
    waiting = [r for r in busy.get(id(expert), []) if r.days and any(
        a.expert is expert and a.status is AssignmentStatus.CONFIRMED for a in r.assignments)]
    clerk_bodies = {u.body_id for u in demo.users.values() if u.body_id}
    free = sorted((r for r in requests if r.days and not r.assignments and r.seats == 1),
                  key=lambda r: (r.case.handling_body.id in clerk_bodies, r.days[0].start))
    made = []
    for request in free:
        if len(waiting) >= 2:
            break
        if not eligible(demo, request, [expert], busy):
            continue
        region = demo.region_of.get(demo.jurisdiction(request.case.handling_body))
        coordinator = coordinators.get(region)
        assignment = Assignment(request=request, expert=expert, reasons=["demo"],
                                status=AssignmentStatus.PROPOSED,
                                coordinator_id=coordinator.id if coordinator else None)
        sync_request_status(request)
        assignment.confirm()
        busy.setdefault(id(expert), []).append(request)
        waiting.append(request)
        made.append(assignment)
    return made


def independent_panel(rng, candidates: list[Expert], seats: int, favourite: Expert):
    """Up to `seats` experts who share no current organization; `favourite` first if eligible."""
    rng.shuffle(candidates)
    candidates.sort(key=lambda e: e is not favourite)
    panel, taken = [], set()
    for expert in candidates:
        current = {id(a.organization) for a in expert.affiliations if a.end is None}
        if len(panel) < seats and not current & taken:
            panel.append(expert)
            taken |= current
    return panel


def eligible(demo: Demo, request: DispatchRequest, roster: list[Expert], busy: dict):
    """The experts the dispatch rules allow on the request (a simplified check for demo data)."""
    days = [d for span in request.days for d in date_range(span.start, span.end)] \
        or [demo.today]
    body = request.case.handling_body
    region = set(members(demo, demo.jurisdiction(body)))
    parties = {id(o) for p in request.case.parties for o in (p.organization, p.counsel) if o}
    return [e for e in roster
            if request.role.value in e.role_names and e.jurisdiction_code in region
            and all(e.is_eligible_on(day) for day in (days[0], days[-1]))
            and any_field_matches([f.ipc_code for f in e.fields], request.case.field_codes)
            and not parties & {id(o) for o in declared_orgs(e)}
            and not any(u.covers(day) for u in e.unavailability for day in days)
            and len(busy.get(id(e), [])) < e.max_concurrent
            and not any(set(days) & set(request_days(r)) for r in busy.get(id(e), []))
            and (request.language is None or request.language in e.language_codes)
            and (request.remote_allowed or within_travel(demo, e, request.city_code))
            and e not in {x.expert for x in request.exclusions}]


def declared_orgs(expert: Expert) -> list[Organization]:
    return [c.organization for c in expert.conflicts] + [a.organization
                                                         for a in expert.affiliations]


def within_travel(demo: Demo, expert: Expert, city_code: str) -> bool:
    if expert.max_travel_km is None:
        return True
    home, there = demo.cities[expert.home_city_code], demo.cities[city_code]
    return great_circle_km(home.lat, home.lon, there.lat, there.lon) <= expert.max_travel_km


# -- data tables and small pickers -----------------------------------------------------------

# Big technology cities get most experts; the other cities 1.5 each.
CITY_WEIGHTS = {"shanghai": 40, "shenzhen": 28, "guangzhou": 24, "hangzhou": 22, "hongkong": 22,
                "nanjing": 20, "suzhou_js": 18, "hefei": 14, "ningbo": 8, "wuxi": 7,
                "dongguan": 7, "foshan": 6, "changzhou": 5, "zhuhai": 4, "macao": 3}
# companies, universities, research institutes, law firms
ORGANIZATIONS_PER_JURISDICTION = {"SH": (18, 4, 3, 6), "JS": (16, 4, 3, 4), "ZJ": (16, 3, 2, 4),
                                  "AH": (10, 3, 2, 2), "GD": (22, 4, 3, 6), "HK": (10, 2, 1, 4),
                                  "MO": (3, 1, 1, 1)}
SPECIALTY_WEIGHTS = {"computer": 4, "communications": 3, "mechanical": 3, "electrical": 2,
                     "electronics": 2, "pharma": 2, "chemistry": 2}
INDUSTRY = {"mechanical": ("机械", "Machinery"), "electrical": ("电气", "Electric"),
            "communications": ("通信", "Communications"), "computer": ("软件", "Software"),
            "electronics": ("电子", "Electronics"), "ic_layout": ("微电子", "Microelectronics"),
            "chemistry": ("化工", "Chemical"), "pharma": ("医药", "Pharmaceutical"),
            "biotech": ("生物科技", "Biotech"), "optics": ("光电", "Optoelectronics"),
            "materials": ("新材料", "Advanced Materials"), "agriculture": ("种业", "Seeds"),
            "measurement": ("仪器", "Instruments")}
BRANDS = [pair.split(":") for pair in (
    "恒通:Hengtong 华芯:Huaxin 博远:Boyuan 科瑞:Kerui 中晟:Zhongsheng 鼎信:Dingxin "
    "海纳:Haina 云帆:Yunfan 睿思:Ruisi 宏景:Hongjing 德安:De'an 金桥:Jinqiao 瑞丰:Ruifeng "
    "凌云:Lingyun 安信:Anxin 智源:Zhiyuan 长风:Changfeng 明德:Mingde 致远:Zhiyuan 同创:Tongchuang "
    "嘉禾:Jiahe 正源:Zhengyuan 弘毅:Hongyi 永信:Yongxin").split()]
UNIVERSITY_NAMES = (("理工大学", "University of Technology"),
                    ("科技大学", "University of Science and Technology"),
                    ("工业大学", "Polytechnic University"), ("医科大学", "Medical University"),
                    ("信息工程学院", "Institute of Information Engineering"))
SURNAMES = [pair.split(":") for pair in (
    "王:wang 李:li 张:zhang 刘:liu 陈:chen 杨:yang 黄:huang 赵:zhao 吴:wu 周:zhou 徐:xu 孙:sun "
    "马:ma 朱:zhu 胡:hu 郭:guo 何:he 林:lin 罗:luo 高:gao 郑:zheng 梁:liang 谢:xie 宋:song "
    "唐:tang 许:xu 韩:han 冯:feng 邓:deng 曹:cao 彭:peng 曾:zeng 肖:xiao 田:tian 董:dong "
    "潘:pan 袁:yuan 蔡:cai 蒋:jiang 余:yu 叶:ye 程:cheng 魏:wei 苏:su 吕:lv 丁:ding 沈:shen "
    "任:ren 姚:yao 卢:lu 钟:zhong 崔:cui 谭:tan 陆:lu 范:fan 汪:wang "
    "欧阳:ouyang 司马:sima").split()]
GIVEN = [pair.split(":") for pair in (
    "伟:wei 芳:fang 敏:min 静:jing 丽:li 强:qiang 磊:lei 军:jun 洋:yang 勇:yong 艳:yan 杰:jie "
    "涛:tao 明:ming 超:chao 霞:xia 平:ping 刚:gang 华:hua 建:jian 国:guo 志:zhi 文:wen 海:hai "
    "晓:xiao 宇:yu 浩:hao 鹏:peng 慧:hui 婷:ting 颖:ying 博:bo 睿:rui 晨:chen 思:si 佳:jia "
    "俊:jun 嘉:jia 欣:xin 子:zi 雨:yu 泽:ze 天:tian 立:li 宁:ning 凯:kai 琳:lin 振:zhen "
    "学:xue 永:yong 德:de 豪:hao 翔:xiang 毅:yi 彤:tong 锋:feng 昊:hao 韵:yun "
    "伦:lun").split()]
ROLE_MIX = {
    "SH": (((INVESTIGATOR,), 62), ((INVESTIGATOR, CONSULTANT), 10), ((CONSULTANT,), 8),
           ((ARBITRATOR,), 20)),
    "GD": (((ARBITRATOR,), 55), ((INVESTIGATOR,), 35), ((INVESTIGATOR, CONSULTANT), 10)),
    "HK": (((ARBITRATOR,), 1),),
    "MO": (((ARBITRATOR,), 1),),
}
DEFAULT_ROLE_MIX = (((INVESTIGATOR,), 80), ((INVESTIGATOR, CONSULTANT), 10), ((CONSULTANT,), 10))
# Bodies that keep no expert roster (registries, a common-law court, national bodies).
NO_EXPERT_ROSTER = {"hk_cfi", "hk_ipd", "mo_dsedt", "cnipa", "cietac", "spc_ipt", "sz_ippc"}
FALLBACK_APPOINTER = {"MO": "scia"}
BODY_WEIGHTS = {"sh_ipc": 3, "gz_ipc": 3, "sz_ipt": 3, "scia": 3, "hkiac": 2, "nj_ipt": 2,
                "sz_js_ipt": 2, "hz_ipt": 2}
CASE_BODY_WEIGHTS = {"sh_ipc": 6, "gz_ipc": 5, "sz_ipt": 5, "nj_ipt": 3, "sz_js_ipt": 3,
                     "hz_ipt": 3, "nb_ipt": 2, "hf_ipt": 2, "qh_court": 1, "sh_ipa": 1,
                     "js_ipa": 1, "zj_ipa": 1, "ah_ipa": 1, "gd_ipa": 1, "sz_ipa": 1, "scia": 5,
                     "hkiac": 2, "gzac": 1, "shiac": 1, "sac": 1}
HIGH_COURTS = {"SH": "sh_high", "JS": "js_high", "ZJ": "zj_high", "AH": "ah_high",
               "GD": "gd_high"}
# Administrative and arbitral file numbers: our own plausible patterns, not official ones.
FILE_NUMBERS = {"sh_ipa": "沪知局裁字〔{year}〕{seq}号", "js_ipa": "苏知裁字〔{year}〕{seq}号",
                "zj_ipa": "浙知裁字〔{year}〕{seq}号", "ah_ipa": "皖知裁字〔{year}〕{seq}号",
                "gd_ipa": "粤知裁字〔{year}〕{seq}号", "sz_ipa": "深市监知裁〔{year}〕{seq}号",
                "scia": "（{year}）深国仲受{seq}号", "shiac": "（{year}）沪国仲受{seq}号",
                "sac": "（{year}）沪仲案字第{seq}号", "gzac": "（{year}）穗仲案字第{seq}号",
                "hkiac": "HKIAC/A/{year}/{seq}"}
CASE_KIND_OF_BODY = {K.COURT: CaseKind.CIVIL,
                     K.IP_ADMINISTRATION: CaseKind.ADMINISTRATIVE_ADJUDICATION,
                     K.ARBITRATION_INSTITUTION: CaseKind.ARBITRATION}
PARTY_ROLES = {CaseKind.CIVIL: (PartyRole.PLAINTIFF, PartyRole.DEFENDANT),
               CaseKind.ADMINISTRATIVE_ADJUDICATION: (PartyRole.PETITIONER, PartyRole.RESPONDENT),
               CaseKind.ARBITRATION: (PartyRole.CLAIMANT, PartyRole.RESPONDENT)}
DISPUTES = {CaseKind.CIVIL: ("侵害发明专利权纠纷", "侵害实用新型专利权纠纷", "侵害技术秘密纠纷",
                             "侵害计算机软件著作权纠纷", "技术合同纠纷"),
            CaseKind.ADMINISTRATIVE_ADJUDICATION: ("侵犯发明专利权纠纷", "侵犯实用新型专利权纠纷"),
            CaseKind.ARBITRATION: ("技术许可合同争议", "技术开发合同争议", "专利实施许可合同争议")}
SERVICES_BY_KIND = {
    CaseKind.CIVIL: (Service.HEARING, Service.ON_SITE_INSPECTION, Service.WRITTEN_OPINION,
                     Service.EVIDENCE_PRESERVATION, Service.CONSULTATION),
    CaseKind.ADMINISTRATIVE_ADJUDICATION: (Service.HEARING, Service.ON_SITE_INSPECTION,
                                           Service.WRITTEN_OPINION),
    CaseKind.ARBITRATION: (Service.ARBITRATION,),
}
DESK_SERVICES = frozenset({Service.WRITTEN_OPINION, Service.CONSULTATION})
DAYS_NEEDED = {Service.HEARING: (1, 1, 2), Service.ON_SITE_INSPECTION: (1,),
               Service.EVIDENCE_PRESERVATION: (1,), Service.ARBITRATION: (1, 2, 2, 3)}
REQUEST_NOTES = {
    Service.HEARING: "庭审中协助法官就技术事实发问",
    Service.ON_SITE_INSPECTION: "现场勘验被诉侵权设备及生产工艺",
    Service.WRITTEN_OPINION: "就权利要求技术特征比对出具技术审查意见",
    Service.EVIDENCE_PRESERVATION: "证据保全，随同执行人员到场固定技术证据",
    Service.CONSULTATION: "就涉案技术背景提供咨询",
    Service.ARBITRATION: "组成仲裁庭审理技术合同争议",
}
EXCLUSION_NOTES = {ExclusionReason.CHALLENGE: "当事人以曾存在合作关系为由申请回避，已准许",
                   ExclusionReason.RECUSAL: "专家曾为一方提供技术咨询，自行回避"}
CREDIT_RECORDS = (  # kind, description, started days ago, lasting days (None: open)
    (CreditKind.SERIOUS, "私下会见一方当事人代理人，经查属实", 30, None),
    (CreditKind.WARNING, "无正当理由逾期提交技术审查意见", 200, 365),
    (CreditKind.WARNING, "未按要求披露与当事人的合作关系", 120, 365),
    (CreditKind.NOTE, "勘验记录填写不完整，已补正", 90, None),
    (CreditKind.NOTE, "临时取消出庭，已提前告知", 45, None),
    (CreditKind.NOTE, "意见书格式不规范", 20, None),
)
AFFILIATION_KINDS = {False: ((K.UNIVERSITY, K.RESEARCH_INSTITUTE, K.COMPANY), (4, 3, 3)),
                     True: ((K.LAW_FIRM, K.UNIVERSITY, K.COMPANY), (5, 3, 2))}
AFFILIATION_ROLES = {K.UNIVERSITY: "professor", K.RESEARCH_INSTITUTE: "researcher",
                     K.COMPANY: "senior engineer", K.LAW_FIRM: "partner"}
CONFLICT_REASONS = ("配偶在该公司任职", "曾为该公司提供专利许可咨询", "持有该公司股份",
                    "与该公司存在合作研发项目")
ABSENCES = ("出差", "学术会议", "休假", "教学任务")


def person(rng: random.Random, number: int) -> tuple[str, str]:
    """A Chinese name and a private email address (on a reserved example domain)."""
    weights = [1 / (rank + 4) for rank in range(len(SURNAMES))]
    surname, surname_py = rng.choices(SURNAMES, weights)[0]
    given = rng.sample(GIVEN, rng.choice((1, 2, 2, 2)))
    name = surname + "".join(zh for zh, _ in given)
    local = "".join(py for _, py in given) + "." + surname_py.replace("'", "")
    return name, f"{local}{number}@{rng.choice(('example.com', 'example.net', 'example.org'))}"


def phone(rng: random.Random, jurisdiction: str) -> str:
    if jurisdiction == "HK":
        return f"+852 {rng.choice('569')}{rng.randrange(10**7):07d}"
    if jurisdiction == "MO":
        return f"+853 6{rng.randrange(10**7):07d}"
    return f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"


def pick_roles(rng: random.Random, jurisdiction: str) -> list[str]:
    mix = ROLE_MIX.get(jurisdiction, DEFAULT_ROLE_MIX)
    return list(rng.choices([roles for roles, _ in mix], [w for _, w in mix])[0])


def pick_status(rng: random.Random) -> ExpertStatus:
    statuses = (ExpertStatus.ACTIVE, ExpertStatus.SUSPENDED, ExpertStatus.RETIRED)
    return rng.choices(statuses, (95, 3, 2))[0]


def appointment_term(rng: random.Random, today: date) -> tuple[date, date | None]:
    """Mostly current terms; some expired, some starting soon, a few open-ended."""
    draw = rng.random()
    if draw < 0.08:
        return (today - timedelta(days=rng.randint(1900, 2900)),
                today - timedelta(days=rng.randint(10, 300)))
    if draw < 0.13:
        start = today + timedelta(days=rng.randint(5, 90))
        return start, start + timedelta(days=3 * 365)
    start = today - timedelta(days=rng.randint(60, 1500))
    return start, None if rng.random() < 0.1 else today + timedelta(days=rng.randint(30, 1400))


def travel_km(rng: random.Random, jurisdiction: str) -> float | None:
    if jurisdiction in ("HK", "MO"):
        return rng.choice((None, 40.0, 150.0))
    return None if rng.random() < 0.25 else float(rng.choice((100, 150, 200, 300, 500, 800)))


def pick_languages(rng: random.Random, jurisdiction: str) -> list[str]:
    if jurisdiction == "HK":
        return ["yue", "en"] + ["zh"] * (rng.random() < 0.75)
    if jurisdiction == "MO":
        return ["yue", "zh"] + ["pt"] * (rng.random() < 0.4) + ["en"] * (rng.random() < 0.5)
    if jurisdiction == "GD":
        return ["zh"] + ["yue"] * (rng.random() < 0.6) + ["en"] * (rng.random() < 0.35)
    return ["zh"] + ["en"] * (rng.random() < 0.35) + [rng.choice(("ja", "de"))] * (
        rng.random() < 0.06)


def pick_request_language(rng: random.Random, body_code: str) -> str | None:
    if body_code == "hkiac":
        return rng.choices((None, "en", "yue"), (3, 5, 2))[0]
    if body_code == "scia":
        return rng.choices((None, "en", "yue"), (7, 2, 1))[0]
    return None


def specialty_weights(specialties) -> list[tuple[str, float]]:
    return [(code, SPECIALTY_WEIGHTS.get(code, 1)) for code in sorted(specialties)]


def organization_name(rng: random.Random, city: City, kind: K, specialty: str):
    """A plausible (fictional) Chinese and English name."""
    place, place_en = city.name_zh.removesuffix("市"), city.name_en.split(" (")[0]
    brand, brand_en = rng.choice(BRANDS)
    industry, industry_en = INDUSTRY.get(specialty, ("科技", "Technology"))
    if kind is K.COMPANY:
        if city.jurisdiction_code in ("HK", "MO"):
            return (f"{place}{brand}{industry}有限公司",
                    f"{brand_en} {industry_en} ({place_en}) Limited")
        return f"{place}{brand}{industry}有限公司", f"{place_en} {brand_en} {industry_en} Co., Ltd."
    if kind is K.UNIVERSITY:
        suffix, suffix_en = rng.choice(UNIVERSITY_NAMES)
        return f"{place}{suffix}", f"{place_en} {suffix_en}"
    if kind is K.RESEARCH_INSTITUTE:
        return f"{place}{industry}技术研究院", f"{place_en} {industry_en} Research Institute"
    if city.jurisdiction_code == "HK":
        return f"{brand}律师行", f"{brand_en} & Co., Solicitors"
    return f"{place}{brand}律师事务所", f"{place_en} {brand_en} Law Firm"


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_PREFIX = {K.COMPANY: "91", K.UNIVERSITY: "12", K.RESEARCH_INSTITUTE: "12", K.LAW_FIRM: "31"}


def registry_id(rng: random.Random, city: City, kind: K) -> str | None:
    """An 18-character unified social credit code (GB 32100-2015) with valid check digits;
    Hong Kong and Macao companies get a company-registry number instead."""
    if city.jurisdiction_code in ("HK", "MO"):
        digits = 7 if city.jurisdiction_code == "HK" else 5
        return f"{city.jurisdiction_code}CR{rng.randrange(10**digits):0{digits}d}" \
            if kind is K.COMPANY else None
    organization_code = f"{rng.randrange(10**8):08d}"
    check = 11 - sum(int(c) * w for c, w in zip(organization_code, (3, 7, 9, 10, 5, 8, 4, 2),
                                                   strict=True)) % 11
    code = USCC_PREFIX[kind] + city.adcode + organization_code + {10: "X", 11: "0"}.get(
        check, str(check))
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(code, USCC_WEIGHTS, strict=True))
    return code + USCC_CHARS[(31 - total % 31) % 31]


def case_title(rng: random.Random, kind: CaseKind, specialty: str, plaintiff, defendant) -> str:
    dispute = rng.choice([d for d in DISPUTES[kind] if "软件" not in d or specialty == "computer"])
    if kind is CaseKind.CIVIL:
        return f"{plaintiff.name}诉{defendant.name}{dispute}"
    if kind is CaseKind.ADMINISTRATIVE_ADJUDICATION:
        return f"{plaintiff.name}请求处理{defendant.name}{dispute}"
    return f"{plaintiff.name}与{defendant.name}{dispute}"


def add_declarations(demo: Demo, expert: Expert, arbitrator: bool) -> None:
    """A current affiliation, sometimes a past one, a declared conflict and absences."""
    rng, today, home = demo.rng, demo.today, expert.jurisdiction_code
    if rng.random() < 0.9:
        kind = rng.choices(*AFFILIATION_KINDS[arbitrator])[0]
        expert.affiliations.append(Affiliation(
            organization=some_org(demo, home, kind), role=AFFILIATION_ROLES[kind],
            start=today - timedelta(days=rng.randint(365, 15 * 365))))
    if rng.random() < 0.3:
        end = today - timedelta(days=rng.randint(60, 6 * 365))
        expert.affiliations.append(Affiliation(
            organization=some_org(demo, home, K.COMPANY), role="engineer",
            start=end - timedelta(days=rng.randint(365, 8 * 365)), end=end))
    if rng.random() < 0.15:
        expert.conflicts.append(DeclaredConflict(organization=some_org(demo, home, K.COMPANY),
                                                 reason=rng.choice(CONFLICT_REASONS)))
    for _ in range(rng.choices((0, 1, 2), (70, 24, 6))[0]):
        start = demo.days_from_today(0, 90)
        expert.unavailability.append(Unavailability(
            start=start, end=start + timedelta(days=rng.randint(1, 20)),
            reason=rng.choice(ABSENCES)))


def add_credit_record(demo: Demo, expert: Expert, record: tuple) -> None:
    kind, description, days_ago, lasting = record
    start = demo.today - timedelta(days=days_ago)
    expert.credit_records.append(CreditRecord(
        kind=kind, description=description, recorded_by_id=expert.appointing_body.id,
        start=start, end=start + timedelta(days=lasting) if lasting else None))


def date_range(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def request_days(request: DispatchRequest) -> list[date]:
    return [day for span in request.days for day in date_range(span.start, span.end)]
