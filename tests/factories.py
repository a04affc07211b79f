"""Small builders for test data: every argument has a sensible default; override what matters."""

import itertools
from datetime import date, timedelta

from werkzeug.security import generate_password_hash

from registry.extensions import db
from registry.models import (
    Affiliation,
    ApiToken,
    AttendanceDays,
    Case,
    CaseKind,
    City,
    DeclaredConflict,
    DispatchRequest,
    Expert,
    ExpertRole,
    Jurisdiction,
    Organization,
    OrganizationKind,
    Party,
    PartyRole,
    RecognitionAgreement,
    Service,
    Unavailability,
    User,
    UserRole,
)

_serial = itertools.count(1)
# Case numbers of their own, above every number a test writes out (（2024）沪73知民初101号 is
# the shared world's): the serial grows over the whole run and once hit 101 in a long race.
_case_serial = itertools.count(10_000)

CITIES = {  # code: (jurisdiction, name_zh, name_en, lat, lon)
    "shanghai": ("SH", "上海市", "Shanghai", 31.23, 121.47),
    "nanjing": ("JS", "南京市", "Nanjing", 32.06, 118.80),
    "hangzhou": ("ZJ", "杭州市", "Hangzhou", 30.27, 120.16),
    "hefei": ("AH", "合肥市", "Hefei", 31.82, 117.23),
    "shenzhen": ("GD", "深圳市", "Shenzhen", 22.54, 114.06),
    "hong_kong": ("HK", "香港", "Hong Kong", 22.32, 114.17),
}
JURISDICTIONS = {"SH": "上海", "JS": "江苏", "ZJ": "浙江", "AH": "安徽", "GD": "广东", "HK": "香港"}


class Builder:
    """Creates rows in the test database and flushes them, so ids are known at once."""

    def __init__(self):
        self._geography_loaded = False

    def _save(self, row):
        db.session.add(row)
        db.session.flush()
        return row

    def geography(self) -> None:
        if self._geography_loaded:
            return
        for code, name in JURISDICTIONS.items():
            db.session.add(Jurisdiction(code=code, name_zh=name, name_en=code))
        for code, (jurisdiction, zh, en, lat, lon) in CITIES.items():
            db.session.add(City(code=code, jurisdiction_code=jurisdiction, name_zh=zh, name_en=en,
                                lat=lat, lon=lon))
        db.session.flush()
        yrd = RecognitionAgreement(code="YRD", name_zh="长三角", name_en="Yangtze River Delta",
                                   effective_from=date(2024, 4, 1))
        yrd.members = [db.session.get(Jurisdiction, c) for c in ("SH", "JS", "ZJ", "AH")]
        gba = RecognitionAgreement(code="GBA", name_zh="前海-香港", name_en="Qianhai-Hong Kong",
                                   effective_from=date(2024, 1, 1))
        gba.members = [db.session.get(Jurisdiction, c) for c in ("GD", "HK")]
        db.session.add_all([yrd, gba])
        db.session.flush()
        self._geography_loaded = True

    def organization(self, **overrides) -> Organization:
        self.geography()
        n = next(_serial)
        values = {"name": f"Organization {n}", "kind": OrganizationKind.COMPANY,
                  "city_code": "shanghai"}
        values.update(overrides)
        return self._save(Organization(**values))

    def body(self, city_code="shanghai", kind=OrganizationKind.COURT, **overrides):
        """A handling body: a court by default, with the Shanghai IP Court's case-number code."""
        values = {"name": f"Court in {city_code}", "kind": kind, "city_code": city_code,
                  "case_number_code": "沪73"}
        values.update(overrides)
        return self.organization(**values)

    def expert(self, roles=("investigator",), fields=None, languages=("zh",), city="shanghai",
               affiliations=(), conflicts=(), unavailable=(), **overrides) -> Expert:
        self.geography()
        n = next(_serial)
        values = {"name": f"Expert {n}", "home_city_code": city,
                  "jurisdiction_code": CITIES[city][0], "email": f"expert{n}@example.cn",
                  "phone": f"138{n:08d}", "max_concurrent": 3}
        values.update(overrides)
        expert = Expert(**values)
        expert.set_roles(roles)
        expert.set_fields(fields or {"G06F": 3})
        expert.set_languages(languages)
        expert.affiliations = [Affiliation(organization=org, role="employee")
                               for org in affiliations]
        expert.conflicts = [DeclaredConflict(organization=org, reason="declared")
                            for org in conflicts]
        expert.unavailability = [Unavailability(start=s, end=e) for s, e in unavailable]
        return self._save(expert)

    def case(self, body=None, parties=(), fields=("G06F",), kind=CaseKind.CIVIL, number=None,
             **overrides) -> Case:
        body = body or self.body()
        n = next(_serial)
        case = Case(handling_body=body, kind=kind, title=f"Case {n}", **overrides)
        case.set_number(number or f"（2024）沪73知民初{next(_case_serial)}号")
        case.set_fields(fields)
        case.parties = [Party(organization=org, role=PartyRole.PLAINTIFF if i == 0
                              else PartyRole.DEFENDANT, counsel=counsel)
                        for i, (org, counsel) in enumerate(
                            (p if isinstance(p, tuple) else (p, None)) for p in parties)]
        return self._save(case)

    def request(self, case=None, role=ExpertRole.INVESTIGATOR, days=(), **overrides):
        case = case or self.case()
        values = {"case": case, "role": role, "seats": 1, "service": Service.HEARING,
                  "city_code": case.handling_body.city_code, "priority": 3}
        values.update(overrides)
        request = DispatchRequest(**values)
        request.days = [AttendanceDays(start=s, end=e) for s, e in days]
        return self._save(request)

    def user(self, role=UserRole.ADMIN, password="correct horse battery", **scope) -> User:
        n = next(_serial)
        user = User(email=scope.pop("email", f"user{n}@example.cn"), role=role, **scope)
        # A cheap hash keeps tests fast; accounts made by the app use the strong default.
        user.password_hash = generate_password_hash(password, method="pbkdf2:sha256:1000")
        user.check_scope()
        return self._save(user)

    def token_for(self, user: User) -> dict:
        """Authorization headers for `user`, with a freshly issued bearer token."""
        stored, token = ApiToken.issue(user, timedelta(hours=1))
        self._save(stored)
        db.session.commit()
        return {"Authorization": f"Bearer {token}"}
