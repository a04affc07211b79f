"""Reference data and the demo registry: contents, idempotence and the invariants of demo rows."""

from datetime import date

import pytest
from sqlalchemy import func, select

from registry import create_app
from registry.extensions import db
from registry.models import (
    Assignment,
    Case,
    CaseKind,
    City,
    CreditKind,
    CreditRecord,
    DispatchRequest,
    DomainError,
    Expert,
    ExpertRole,
    IpcField,
    Jurisdiction,
    Organization,
    OrganizationKind,
    RecognitionAgreement,
    Service,
    User,
)
from registry.models.case_numbers import check_other_case_number, parse_court_case_number
from registry.services import seeding
from registry.services.demo import USCC_CHARS, USCC_WEIGHTS
from tests.conftest import empty_tables

YRD, GBA = {"SH", "JS", "ZJ", "AH"}, {"GD", "HK", "MO"}
SMALL_DEMO = 120  # enough for one expert in each of the 52 cities


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def row_counts() -> dict[str, int]:
    return {model.__name__: count(model) for model in (
        Jurisdiction, City, IpcField, Organization, RecognitionAgreement, Expert, Case,
        DispatchRequest, Assignment, User)}


@pytest.fixture
def reference(app):
    seeding.load_reference_data()
    db.session.commit()


@pytest.fixture(scope="class")
def shared_demo(database_url):
    """A demo registry for the read-only tests of a class: building it once keeps them fast."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                      "SECRET_KEY": "test"})
    with app.app_context():
        seeding.load_reference_data()
        seeding.load_demo_registry(experts=SMALL_DEMO, showcase=False)
        db.session.commit()
        yield
        db.session.remove()
        empty_tables()
        db.engine.dispose()


@pytest.fixture
def demo(reference):
    counts = seeding.load_demo_registry(experts=SMALL_DEMO, showcase=False)
    db.session.commit()
    return counts


def cities_in(jurisdictions) -> list[City]:
    return db.session.scalars(select(City).where(City.jurisdiction_code.in_(jurisdictions))).all()


# -- reference data --------------------------------------------------------------------------

def test_reference_data_has_all_41_yrd_and_11_gba_cities_and_beijing(reference):
    assert len(cities_in(YRD)) == 41
    assert len(cities_in(GBA)) == 11
    assert db.session.get(City, "beijing").jurisdiction_code == "BJ"


@pytest.mark.parametrize("city, jurisdiction", [
    ("shanghai", "SH"), ("suzhou_js", "JS"), ("suzhou_ah", "AH"), ("taizhou_zj", "ZJ"),
    ("shenzhen", "GD"), ("hongkong", "HK"), ("macao", "MO")])
def test_each_city_belongs_to_its_province_level_jurisdiction(reference, city, jurisdiction):
    assert db.session.get(City, city).jurisdiction_code == jurisdiction


def test_cities_carry_coordinates_inside_china(reference):
    for city in cities_in(YRD | GBA):
        assert 21.5 < city.lat < 35.5 and 112 < city.lon < 122.5, city.code


def test_ipc_fields_form_a_tree_of_sections_classes_and_subclasses(reference):
    fields = {f.code: f for f in db.session.scalars(select(IpcField))}
    assert sorted(c for c, f in fields.items() if f.level == "section") == list("ABCDEFGH")
    assert fields["G06F"].parent_code == "G06" and fields["G06"].parent_code == "G"
    for field in fields.values():
        assert field.title_zh and field.title_en
        if field.level != "section":
            parent = fields[field.parent_code]
            assert field.code.startswith(parent.code)
            assert seeding.IPC_LEVELS.index(parent.level) == \
                seeding.IPC_LEVELS.index(field.level) - 1


@pytest.mark.parametrize("code, kind, case_number_code, city", [
    ("sh_ipc", OrganizationKind.COURT, "沪73", "shanghai"),
    ("nj_ipt", OrganizationKind.COURT, "苏01", "nanjing"),
    ("spc_ipt", OrganizationKind.COURT, "最高法", "beijing"),
    ("sh_ipa", OrganizationKind.IP_ADMINISTRATION, None, "shanghai"),
    ("scia", OrganizationKind.ARBITRATION_INSTITUTION, None, "shenzhen"),
    ("hkiac", OrganizationKind.ARBITRATION_INSTITUTION, None, "hongkong")])
def test_courts_csv_rows_become_handling_bodies_keyed_by_their_code(
        reference, code, kind, case_number_code, city):
    body = db.session.scalar(select(Organization).where(Organization.registry_id == code))
    assert (body.kind, body.case_number_code, body.city_code) == (kind, case_number_code, city)
    assert body.handles_cases


def test_every_body_in_courts_csv_is_loaded(reference):
    assert count(Organization) == len(seeding.read_csv("courts.csv")) == 34


@pytest.mark.parametrize("code, members, effective_from", [
    ("YRD", YRD, date(2024, 4, 1)), ("GBA", GBA, date(2021, 9, 6))])
def test_agreements_recognise_their_member_jurisdictions(reference, code, members,
                                                         effective_from):
    agreement = db.session.get(RecognitionAgreement, code)
    assert agreement.member_codes() == members
    assert agreement.effective_from == effective_from


def test_loading_reference_data_again_creates_nothing(reference):
    before = row_counts()
    assert set(seeding.load_reference_data().values()) == {0}
    db.session.commit()
    assert row_counts() == before


def test_loading_reference_data_again_restores_edited_rows(reference):
    db.session.get(City, "hefei").lat = 0.0
    db.session.get(RecognitionAgreement, "YRD").members = []
    db.session.commit()
    seeding.load_reference_data()
    assert db.session.get(City, "hefei").lat == 31.82
    assert db.session.get(RecognitionAgreement, "YRD").member_codes() == YRD


# -- demo registry ---------------------------------------------------------------------------

def test_demo_registry_needs_the_reference_data_first(app):
    with pytest.raises(DomainError, match="reference data"):
        seeding.load_demo_registry(experts=10, showcase=False)


def test_demo_registry_reports_what_it_created(demo):
    assert demo["experts"] == count(Expert) == SMALL_DEMO
    assert demo["users"] == len(seeding.demo_logins()) == 6
    assert demo["cases"] == count(Case) and demo["requests"] == count(DispatchRequest)


def test_loading_the_demo_registry_again_creates_nothing(demo):
    before = row_counts()
    assert set(seeding.load_demo_registry(experts=SMALL_DEMO, showcase=False).values()) == {0}
    assert set(seeding.load_reference_data().values()) == {0}
    db.session.commit()
    assert row_counts() == before


@pytest.mark.usefixtures("shared_demo")
class TestDemoRegistryInvariants:
    """Read-only checks, so they share one demo registry."""

    def test_demo_experts_live_in_every_city_of_both_regions(self):
        homes = set(db.session.scalars(select(Expert.home_city_code)))
        assert homes == {city.code for city in cities_in(YRD | GBA)}

    def test_demo_experts_are_appointed_by_a_handling_body_of_their_region(self):
        for expert in db.session.scalars(select(Expert)):
            body = expert.appointing_body
            assert body.handles_cases
            assert body.jurisdiction_code == expert.jurisdiction_code or \
                {body.jurisdiction_code, expert.jurisdiction_code} <= GBA

    def test_hong_kong_demo_experts_are_arbitrators_speaking_cantonese_and_english(self):
        experts = db.session.scalars(select(Expert).where(Expert.jurisdiction_code == "HK")).all()
        assert experts
        for expert in experts:
            assert expert.role_names == ["arbitrator"]
            assert {"yue", "en"} <= set(expert.language_codes)

    def test_demo_expert_fields_are_seeded_ipc_codes_with_proficiency_1_to_3(self):
        codes = set(db.session.scalars(select(IpcField.code)))
        for expert in db.session.scalars(select(Expert)):
            assert 1 <= len(expert.fields) <= 6
            assert all(f.ipc_code in codes and f.proficiency in (1, 2, 3) for f in expert.fields)
            assert 2 <= expert.max_concurrent <= 5

    def test_demo_registry_holds_one_serious_credit_record(self):
        kinds = list(db.session.scalars(select(CreditRecord.kind)))
        assert kinds.count(CreditKind.SERIOUS) == 1

    def test_every_demo_case_number_is_valid_and_unique(self):
        numbers = []
        for case in db.session.scalars(select(Case)):
            if case.kind is CaseKind.ARBITRATION or \
                    case.kind is CaseKind.ADMINISTRATIVE_ADJUDICATION:
                check_other_case_number(case.number)
            else:
                parsed = parse_court_case_number(case.number)
                assert parsed.court == case.handling_body.case_number_code
                assert parsed.stage == case.stage.value
            numbers.append(case.number)
        assert len(numbers) == len(set(numbers)) > 0

    def test_demo_second_instance_cases_link_to_their_first_instance(self):
        appeals = db.session.scalars(select(Case).where(Case.earlier_stage_id.is_not(None))).all()
        for case in appeals:
            assert "民终" in case.number and "民初" in case.earlier_stage.number
            assert {p.organization_id for p in case.parties} == \
                {p.organization_id for p in case.earlier_stage.parties}

    def test_every_demo_request_has_legal_seats_and_fitting_days(self):
        today = date.today()
        for request in db.session.scalars(select(DispatchRequest)):
            request.check_seats()
            assert request.role is (ExpertRole.ARBITRATOR if request.service is Service.ARBITRATION
                                    else ExpertRole.INVESTIGATOR)
            if request.service in (Service.WRITTEN_OPINION, Service.CONSULTATION):
                assert request.days == []
            else:
                assert len(request.days) == 1 and today < request.days[0].start

    def test_most_demo_requests_fall_within_the_next_60_days(self):
        starts = [d.start for d in db.session.scalars(select(DispatchRequest)).all()
                  for d in d.days]
        soon = [s for s in starts if (s - date.today()).days <= 60]
        assert len(soon) >= 0.7 * len(starts)

    def test_demo_assignments_fill_their_requests_with_experts_of_the_right_role(self):
        requests = db.session.scalars(select(DispatchRequest).join(Assignment).distinct()).all()
        assert requests
        for request in requests:
            assert len(request.assignments) == request.seats
            assert request.status.value in ("confirmed", "accepted")
            for assignment in request.assignments:
                assert request.role.value in assignment.expert.role_names
                assert assignment.expert_id not in request.excluded_expert_ids()

    def test_demo_users_log_in_with_the_demo_password(self):
        for email, role, _scope in seeding.demo_logins():
            user = db.session.scalar(select(User).where(User.email == email))
            assert user.role.value == role
            assert user.check_password(seeding.DEMO_PASSWORD)
            user.check_scope()

    def test_demo_clerks_act_for_the_shanghai_ip_court_and_scia(self):
        clerks = db.session.scalars(select(User).where(User.body_id.is_not(None))).all()
        assert {clerk.body.registry_id for clerk in clerks} == {"sh_ipc", "scia"}

    def test_demo_organizations_have_valid_unified_social_credit_codes(self):
        codes = [code for code in db.session.scalars(select(Organization.registry_id))
                 if code and len(code) == 18]
        assert len(codes) > 50
        for code in codes:
            body = zip(code[:17], USCC_WEIGHTS, strict=True)
            total = sum(USCC_CHARS.index(c) * w for c, w in body)
            assert USCC_CHARS[(31 - total % 31) % 31] == code[-1], code


# -- commands --------------------------------------------------------------------------------

def test_seed_command_loads_reference_data_and_reports_counts(runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "8 jurisdictions, 53 cities, 72 IPC fields, 34 handling bodies, 2 agreements" \
        in result.output


def test_seed_command_run_twice_reports_nothing_new(runner):
    runner.invoke(args=["seed"])
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0
    assert "0 jurisdictions, 0 cities" in result.output
    assert count(City) == 53


def test_seed_demo_command_adds_experts_and_logins(runner):
    result = runner.invoke(args=["seed", "--demo", "--experts", "30"])
    assert result.exit_code == 0, result.output
    assert "30 experts" in result.output and "6 users" in result.output
    assert count(Expert) == 30


def test_demo_logins_command_lists_every_demo_account(runner):
    result = runner.invoke(args=["demo-logins"])
    assert seeding.DEMO_PASSWORD in result.output
    for email, _role, _scope in seeding.demo_logins():
        assert email in result.output


def test_the_full_demo_shows_one_case_of_each_legal_situation(reference):
    """`flask seed --demo` (showcase on) holds what issue 9 asks the demo to show."""
    from registry.models import AssignmentFlag, Challenge, PartiesNotice, Party, Waiver
    from registry.models.recusals import ChallengeStatus
    from registry.services import working_calendar

    seeding.load_demo_registry()  # the command's defaults: its showcase needs the full roster
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Party)
                             .where(Party.person_id.is_not(None))) >= 1
    assert db.session.scalar(select(func.count()).select_from(Challenge)
                             .where(Challenge.status == ChallengeStatus.PENDING)) >= 1
    assert count(Waiver) >= 1 and count(PartiesNotice) >= 1
    hong_kong = db.session.scalars(select(Case).join(Case.handling_body)
                                   .where(Case.number.like("HC%"))).all()
    assert hong_kong and all(c.handling_body.jurisdiction_code == "HK" for c in hong_kong)
    requests = db.session.scalars(select(DispatchRequest)).all()
    assert any(working_calendar.request_warnings(r) for r in requests)
    assert any(r.urgent for r in requests)
    assert count(AssignmentFlag) >= 1
