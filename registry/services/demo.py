"""A realistic demo registry, the same every time for a given seed and day.

Experts spread over the 52 YRD and GBA cities (investigators mostly in the YRD, arbitrators
mostly in the GBA), the companies, universities and law firms they work for, cases with valid
case numbers and their parties, open dispatch requests over the next two months, a few
exclusions and confirmed assignments, and one login per user group.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from registry.extensions import db
from registry.models import (
    Assignment,
    AttendanceDays,
    Case,
    CaseKind,
    CaseStage,
    City,
    DispatchRequest,
    DomainError,
    Exclusion,
    ExclusionReason,
    Expert,
    ExpertRole,
    IpcField,
    Organization,
    OrganizationKind,
    Party,
    PartyRole,
    RecognitionAgreement,
    Service,
    User,
    sync_request_status,
)
from registry.services import accounts, demo_data
from registry.services.seeding import DEMO_PASSWORD, DEMO_USERS, read_csv

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
            codes = sorted(code for code, lvl in fields if lvl == level and any(
                code.startswith(p) or p.startswith(code) for p in prefixes))
            if codes:
                specialties[row["code"]] = codes
                break
    return specialties


# -- organizations ---------------------------------------------------------------------------

def make_organizations(demo: Demo) -> list[Organization]:
    made = []
    for jurisdiction, per_kind in demo_data.ORGANIZATIONS_PER_JURISDICTION.items():
        for kind, count in zip((K.COMPANY, K.UNIVERSITY, K.RESEARCH_INSTITUTE, K.LAW_FIRM),
                               per_kind, strict=True):
            for _ in range(count):
                made.append(new_organization(demo, jurisdiction, kind))
    return made


def new_organization(demo: Demo, jurisdiction: str, kind: K) -> Organization:
    rng = demo.rng
    city = pick_city(demo, jurisdiction)
    specialty = rng.choice(sorted(demo.specialties))
    name, name_en = demo_data.organization_name(rng, city, kind, specialty)
    while any(o.name == name for o in demo.orgs.get((jurisdiction, kind), ())):
        name, name_en = demo_data.organization_name(rng, city, kind, specialty)
    organization = Organization(name=name, name_en=name_en, kind=kind, city_code=city.code,
                                registry_id=demo_data.registry_id(rng, city, kind))
    demo.orgs.setdefault((jurisdiction, kind), []).append(organization)
    demo.industry[id(organization)] = specialty
    return organization


def pick_city(demo: Demo, jurisdiction: str | None = None) -> City:
    cities = [c for c in demo.cities.values()
              if c.jurisdiction_code == jurisdiction
              or (jurisdiction is None and c.jurisdiction_code in demo.region_of)]
    weights = [demo_data.CITY_WEIGHTS.get(c.code, 1.5) for c in cities]
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
    for expert in demo.rng.sample(roster[1:], min(6, len(roster) - 1)):
        demo_data.add_credit_record(demo, expert)
    return roster


def demo_expert(demo: Demo) -> Expert:
    """The expert behind the demo expert login: a current Shanghai IP Court investigator."""
    expert = new_expert(demo, demo.cities["shanghai"], 0)
    expert.set_roles([INVESTIGATOR])
    expert.set_fields({"G06F": 3, "H04L": 2})
    expert.appointing_body = demo.bodies["sh_ipc"]
    expert.appointed_from = demo.today - timedelta(days=400)
    expert.appointed_until = demo.today + timedelta(days=700)
    expert.status = demo_data.ExpertStatus.ACTIVE
    expert.max_concurrent, expert.unavailability = 4, []
    return expert


def new_expert(demo: Demo, city: City, number: int) -> Expert:
    rng, jurisdiction = demo.rng, city.jurisdiction_code
    name, email = demo_data.person(rng, number)
    roles = demo_data.pick_roles(rng, jurisdiction)
    start, until = demo_data.appointment_term(rng, demo.today)
    expert = Expert(
        name=name, home_city_code=city.code, jurisdiction_code=jurisdiction,
        appointing_body=appointing_body(demo, city, roles), appointed_from=start,
        appointed_until=until, status=demo_data.pick_status(rng),
        max_concurrent=rng.randint(2, 5), max_travel_km=demo_data.travel_km(rng, jurisdiction),
        email=email, phone=demo_data.phone(rng, jurisdiction),
        affiliations=[], conflicts=[], unavailability=[], credit_records=[])
    expert.set_roles(roles)
    expert.set_fields(pick_fields(demo))
    expert.set_languages(demo_data.pick_languages(rng, jurisdiction))
    demo_data.add_declarations(demo, expert, ARBITRATOR in roles)
    return expert


def appointing_body(demo: Demo, city: City, roles: list[str]) -> Organization:
    jurisdiction = city.jurisdiction_code
    if ARBITRATOR in roles:
        wanted = {K.ARBITRATION_INSTITUTION}
    else:
        wanted = {K.COURT, K.IP_ADMINISTRATION}
    bodies = [b for b in demo.bodies.values()
              if b.kind in wanted and demo.jurisdiction(b) == jurisdiction
              and b.registry_id not in demo_data.NO_EXPERT_ROSTER]
    if not bodies:  # Macao has no arbitration institution: SCIA's roster includes Macao
        bodies = [demo.bodies[demo_data.FALLBACK_APPOINTER[jurisdiction]]]
    weights = [3.0 if b.city_code == city.code else 1.0 for b in bodies]
    weights = [w * demo_data.BODY_WEIGHTS.get(b.registry_id, 1) for w, b in zip(
        weights, bodies, strict=True)]
    return demo.rng.choices(bodies, weights)[0]


def pick_fields(demo: Demo, specialty: str | None = None) -> dict[str, int]:
    rng = demo.rng
    specialty = specialty or rng.choices(*zip(*demo_data.specialty_weights(demo.specialties),
                                              strict=True))[0]
    codes = demo.specialties[specialty]
    chosen = rng.sample(codes, min(len(codes), rng.choice((1, 1, 2, 2, 3))))
    return {code: rng.choices((1, 2, 3), (2, 4, 3))[0] for code in chosen}


# -- users -----------------------------------------------------------------------------------

def make_users(demo: Demo, expert: Expert) -> list[User]:
    users = []
    for email, role, scope, _description in DEMO_USERS:
        if role == "expert":
            scope = {"expert_id": expert.id}
        users.append(accounts.create_user(email, role, DEMO_PASSWORD, **scope))
        demo.users[email] = users[-1]
    return users


# -- cases and requests ----------------------------------------------------------------------

def make_cases(demo: Demo, count: int) -> list[Case]:
    weights = {code: w for code, w in demo_data.CASE_BODY_WEIGHTS.items() if code in demo.bodies}
    cases = []
    for _ in range(count):
        body = demo.bodies[demo.rng.choices(list(weights), list(weights.values()))[0]]
        cases.append(new_case(demo, body))
        high = demo_data.HIGH_COURTS.get(demo.jurisdiction(body))
        if body.kind is K.COURT and high in demo.bodies and demo.rng.random() < 0.15:
            cases.append(appeal(demo, cases[-1], demo.bodies[high]))
    return cases


def new_case(demo: Demo, body: Organization) -> Case:
    rng, jurisdiction = demo.rng, demo.jurisdiction(body)
    kind = demo_data.CASE_KIND_OF_BODY[body.kind]
    plaintiff = some_org(demo, jurisdiction, K.COMPANY)
    defendant = some_org(demo, rng.choice(members(demo, jurisdiction)), K.COMPANY)
    while defendant is plaintiff:
        defendant = some_org(demo, jurisdiction, K.COMPANY)
    case = Case(handling_body=body, kind=kind, stage=CaseStage.FIRST_INSTANCE,
                confidential=rng.random() < (0.5 if kind is CaseKind.ARBITRATION else 0.1),
                title=demo_data.case_title(rng, kind, plaintiff, defendant), requests=[])
    year = demo.today.year - (rng.random() < 0.4)
    case.set_number(case_number(demo, body, "民初", year), demo.today)
    case.set_fields(pick_fields(demo, demo.industry[id(plaintiff)]))
    roles = demo_data.PARTY_ROLES[kind]
    case.parties = [Party(organization=org, role=role,
                          counsel=some_org(demo, demo.jurisdiction(org), K.LAW_FIRM))
                    for org, role in zip((plaintiff, defendant), roles, strict=True)]
    return case


def appeal(demo: Demo, first: Case, court: Organization) -> Case:
    """The second instance of `first` at the provincial high court."""
    case = Case(handling_body=court, kind=first.kind, stage=CaseStage.SECOND_INSTANCE,
                earlier_stage=first, confidential=first.confidential, requests=[],
                title=first.title.replace("纠纷", "纠纷上诉案"))
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
    pattern = demo_data.FILE_NUMBERS.get(body.registry_id, "{name}〔{year}〕{seq}号")
    return pattern.format(name=body.name[:4], year=year, seq=sequence)


def members(demo: Demo, jurisdiction: str) -> list[str]:
    region = demo.region_of.get(jurisdiction)
    return sorted(j for j, r in demo.region_of.items() if r == region) or [jurisdiction]


def make_requests(demo: Demo, case: Case) -> list[DispatchRequest]:
    rng = demo.rng
    count = 2 if rng.random() < 0.2 else 1
    services = rng.sample(demo_data.SERVICES_BY_KIND[case.kind], count)
    clerk = next((u for u in demo.users.values() if u.body_id == case.handling_body.id), None)
    return [new_request(demo, case, service, clerk) for service in services]


def new_request(demo: Demo, case: Case, service: Service, clerk: User | None):
    rng, arbitration = demo.rng, service is Service.ARBITRATION
    request = DispatchRequest(
        case=case, service=service, city_code=case.handling_body.city_code,
        role=ExpertRole.ARBITRATOR if arbitration else ExpertRole.INVESTIGATOR,
        seats=(3 if rng.random() < 0.75 else 1) if arbitration else 1,
        remote_allowed=service in demo_data.DESK_SERVICES or rng.random() < 0.15,
        priority=5 if service is Service.EVIDENCE_PRESERVATION else rng.choices(
            range(1, 6), (1, 2, 5, 2, 1))[0],
        language=demo_data.pick_request_language(rng, case.handling_body.registry_id),
        note=demo_data.REQUEST_NOTES[service], created_by_id=clerk.id if clerk else None,
        exclusions=[], assignments=[])
    request.check_seats()
    request.days = attendance(demo, service)
    return request


def attendance(demo: Demo, service: Service) -> list[AttendanceDays]:
    """When the expert must be there: none for desk work, soon for preservation."""
    if service in demo_data.DESK_SERVICES:
        return []
    if service is Service.EVIDENCE_PRESERVATION:
        start = demo.days_from_today(1, 4)
    else:
        start = demo.days_from_today(3, 60) if demo.rng.random() < 0.85 \
            else demo.days_from_today(61, 120)
    length = demo.rng.choice(demo_data.DAYS_NEEDED[service])
    return [AttendanceDays(start=start, end=start + timedelta(days=length - 1))]


# -- exclusions and assignments --------------------------------------------------------------

def make_exclusions(demo: Demo, requests: list[DispatchRequest], roster: list[Expert]):
    made = []
    for request in demo.rng.sample(requests, max(2, len(requests) // 25)):
        candidates = eligible(demo, request, roster, {})
        if candidates:
            reason = demo.rng.choice((ExclusionReason.CHALLENGE, ExclusionReason.RECUSAL))
            made.append(Exclusion(request=request, expert=demo.rng.choice(candidates),
                                  reason=reason, note=demo_data.EXCLUSION_NOTES[reason]))
    return made


def make_assignments(demo: Demo, requests: list[DispatchRequest], roster: list[Expert]):
    """Confirm a few requests by hand, the demo expert's and the demo clerks' first."""
    rng, busy, made = demo.rng, {}, []
    clerk_bodies = {u.body_id for u in demo.users.values() if u.body_id}
    ordered = sorted(requests, key=lambda r: r.case.handling_body.id not in clerk_bodies)
    picked = ordered[:4] + rng.sample(ordered[4:], min(len(ordered) - 4, len(requests) // 20))
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
                                   coordinator_id=coordinator.id if coordinator else None))
            busy.setdefault(id(expert), []).append(request)
        sync_request_status(request)
        accept = rng.random() < 0.5
        for assignment in request.assignments:
            assignment.confirm()
            if accept:
                assignment.accept()
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
    days = [d for span in request.days for d in demo_data.date_range(span.start, span.end)] \
        or [demo.today]
    body = request.case.handling_body
    region = set(members(demo, demo.jurisdiction(body)))
    parties = {id(o) for p in request.case.parties for o in (p.organization, p.counsel) if o}
    return [e for e in roster
            if request.role.value in e.role_names and e.jurisdiction_code in region
            and all(e.is_eligible_on(day) for day in (days[0], days[-1]))
            and fields_match(e.fields, request.case.field_codes)
            and not parties & {id(o) for o in declared_orgs(e)}
            and not any(u.covers(day) for u in e.unavailability for day in days)
            and len(busy.get(id(e), [])) < e.max_concurrent
            and not any(set(days) & set(demo_data.request_days(r)) for r in busy.get(id(e), []))
            and (request.language is None or request.language in e.language_codes)
            and (request.remote_allowed or within_travel(demo, e, request.city_code))
            and e not in {x.expert for x in request.exclusions}]


def fields_match(expert_fields, case_codes) -> bool:
    return any(f.ipc_code.startswith(c) or c.startswith(f.ipc_code)
               for f in expert_fields for c in case_codes)


def declared_orgs(expert: Expert) -> list[Organization]:
    return [c.organization for c in expert.conflicts] + [a.organization
                                                         for a in expert.affiliations]


def within_travel(demo: Demo, expert: Expert, city_code: str) -> bool:
    if expert.max_travel_km is None:
        return True
    home, there = demo.cities[expert.home_city_code], demo.cities[city_code]
    return distance_km(home.lat, home.lon, there.lat, there.lon) <= expert.max_travel_km


def distance_km(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance (haversine, earth radius 6371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(a))
